import type { ResourceReader, ResourceTransactions, ResourceWriter, StoredResource } from '../application/ports.js';
import { jsonBytes } from '../domain/json.js';
import type { TransferMeter } from './metrics.js';

/**
 * The resource store, counted: rows and proto-JSON bytes per kind (ImportDataError.type:
 * `human_user`, `project`, …) for /metrics. A decorator on the port, so neither the use cases
 * nor the store know about metrics. Imports count only what a committed transaction kept (a
 * dry run, a rollback or a failed savepoint counts nothing); exports count what was read.
 */
export function meterResources(inner: ResourceTransactions, meter: TransferMeter): ResourceTransactions {
  return {
    analyze: () => inner.analyze(),
    async write(signal, options, work) {
      const pending = new Map<string, { rows: number; bytes: number }>();
      const result = await inner.write(signal, options, (writer) => work(counting(writer, pending)));
      if (!options.rollback) for (const [kind, t] of pending) meter.transferred('import', kind, t.rows, t.bytes);
      return result;
    },
    read: (signal, work) => inner.read(signal, (reader) => work(metered(reader, meter))),
  };
}

type Tally = Map<string, { rows: number; bytes: number }>;

function addCount(tally: Tally, kind: string, rows: number, bytes: number) {
  const t = tally.get(kind);
  if (t) {
    t.rows += rows;
    t.bytes += bytes;
  } else tally.set(kind, { rows, bytes });
}

function add(tally: Tally, kind: string, rows: readonly StoredResource[]) {
  addCount(
    tally,
    kind,
    rows.length,
    rows.reduce((n, r) => n + jsonBytes(r.item), 0),
  );
}

/** Adds what a savepoint counted to the tally around it, once it is kept. */
function mergeInto(tally: Tally, inner: Tally) {
  for (const [kind, t] of inner) addCount(tally, kind, t.rows, t.bytes);
}

function counting(writer: ResourceWriter, tally: Tally): ResourceWriter {
  return {
    // Keeps what the store attaches to its writers (the transaction handle, see resource-store.ts).
    ...writer,
    existingRefs: (refs) => writer.existingRefs(refs),
    findExisting: (kind, orgId, items) => writer.findExisting(kind, orgId, items),
    userNameScope: (orgId) => writer.userNameScope(orgId),
    lockOrg: (orgId) => writer.lockOrg(orgId),
    async insert(kind, orgId, rows, options) {
      const result = await writer.insert(kind, orgId, rows, options);
      const skipped = new Set(result.conflicts);
      add(
        tally,
        kind,
        rows.filter((_, i) => !skipped.has(i)),
      );
      return result;
    },
    async replace(kind, orgId, row) {
      await writer.replace(kind, orgId, row);
      add(tally, kind, [row]);
    },
    async openBulk(kind, orgId) {
      const bulk = await writer.openBulk(kind, orgId);
      // Counted when it closes (a refused bulk write keeps none of its rows), as the store
      // measured them: it encodes each item anyway, and encoding it again here cost 2 % of a
      // 200,000-user import's CPU (issue 10).
      return {
        add: (rows) => bulk.add(rows),
        async close() {
          const written = await bulk.close();
          addCount(tally, kind, written.rows, written.bytes);
          return written;
        },
        abort: () => bulk.abort(),
      };
    },
    async savepoint(work) {
      // A savepoint that fails is rolled back: its rows join the tally only if it succeeds.
      const inner: Tally = new Map();
      const result = await writer.savepoint((w) => work(counting(w, inner)));
      mergeInto(tally, inner);
      return result;
    },
  };
}

function metered(reader: ResourceReader, meter: TransferMeter): ResourceReader {
  return {
    orgIds: () => reader.orgIds(),
    async *read(kind, orgId, secrets) {
      let rows = 0;
      let bytes = 0;
      try {
        for await (const batch of reader.read(kind, orgId, secrets)) {
          rows += batch.length;
          for (const row of batch) bytes += Buffer.byteLength(row.json);
          yield batch;
        }
      } finally {
        if (rows) meter.transferred('export', kind, rows, bytes);
      }
    },
  };
}
