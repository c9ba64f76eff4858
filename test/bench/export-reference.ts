/**
 * The export's floor, doing the export's JSON work and no more. Per org and kind, in the
 * export's order and inside one repeatable-read snapshot, it reads the stored payload text with
 * COPY TO (the fastest way out of PostgreSQL) and then does what the export does per row
 * (src/application/export/export-parts.ts with resource-store.ts `read()`):
 * - a row without secrets goes out as the stored text, unparsed;
 * - a human user with a password hash or OTP secret is parsed, merged (`withSecrets`) and
 *   re-encoded;
 * - the texts are framed by the export's own `exportJson`, encoded to UTF-8 in 256 KiB flushes
 *   and written to a file.
 * It counts resources (org heads plus items) the same way results.ts defines them for import.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { type ExportPart, exportJson } from '../../src/application/export/export-parts.js';
import type { JsonObject } from '../../src/domain/json.js';
import { EXPORT_ORDER, ORG_KIND, type ResourceKind } from '../../src/domain/resources/kinds.js';
import { withSecrets } from '../../src/domain/resources/prepare.js';
import { RESOURCE_TABLES } from '../../src/persistence/resources/resource-tables.js';
import { fromCopyText } from './copy-rows.js';

const BATCH = 1000;
const FLUSH_CHARS = 256 * 1024;
const encoder = new TextEncoder();

function copySql(kind: ResourceKind, orgId: string): string {
  const t = RESOURCE_TABLES[kind.type];
  if (!t) throw new Error(`no table for ${kind.type}`);
  const secret = kind.type === 'human_user';
  const literal = (v: string) => `'${v.replace(/'/g, "''")}'`;
  const where = [`t."${t.orgColumn}" = ${literal(orgId)}`, ...Object.entries(t.where).map(([c, v]) => `t."${c}" = ${literal(v)}`)];
  return `copy (select t.payload::text${secret ? ', s.password_hash, s.otp_secret' : ''}
    from "${t.table}" t ${secret ? 'left join user_secret s on s.user_id = t.id' : ''}
    where ${where.join(' and ')} order by ${t.key.map((k) => `t."${k}"`).join(', ')}) to stdout`;
}

/** The rows of one org and kind, each as the JSON text the export would write. */
async function* itemTexts(client: pg.Client, kind: ResourceKind, orgId: string): AsyncGenerator<string> {
  let rest = '';
  const stream = client.query(copyStreams.to(copySql(kind, orgId)));
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const [payload, hash, otp] = line.split('\t').map(fromCopyText);
      if (!hash && !otp) {
        yield payload as string;
        continue;
      }
      yield JSON.stringify(
        withSecrets(JSON.parse(payload as string) as JsonObject, { passwordHash: hash ?? null, otpSecret: otp ?? null }),
      );
    }
  }
}

async function* parts(client: pg.Client, orgIds: readonly string[], counter: { resources: number }): AsyncGenerator<ExportPart> {
  for (const orgId of orgIds) {
    let head: JsonObject = {};
    for await (const text of itemTexts(client, ORG_KIND, orgId)) head = JSON.parse(text) as JsonObject;
    counter.resources++;
    yield { type: 'org', orgId, head };
    for (const kind of EXPORT_ORDER) {
      let items: string[] = [];
      for await (const text of itemTexts(client, kind, orgId)) {
        items.push(text);
        counter.resources++;
        if (items.length >= BATCH) {
          yield { type: 'items', orgId, kind, items };
          items = [];
        }
      }
      if (items.length) yield { type: 'items', orgId, kind, items };
    }
    yield { type: 'end', orgId, head };
  }
}

/** Exports every org of the database at `url` to `path`; returns the time and the resources. */
export async function exportReference(url: string, path: string): Promise<{ ms: number; resources: number; bytes: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const out = createWriteStream(path);
  const counter = { resources: 0 };
  let bytes = 0;
  try {
    const started = performance.now();
    await client.query('begin isolation level repeatable read read only');
    const orgIds = (await client.query<{ id: string }>('select id from org order by id')).rows.map((r) => r.id);
    let pending: string[] = [];
    let size = 0;
    const flush = async () => {
      const encoded = encoder.encode(pending.join(''));
      pending = [];
      size = 0;
      bytes += encoded.length;
      if (!out.write(encoded)) await once(out, 'drain');
    };
    for await (const text of exportJson(parts(client, orgIds, counter))) {
      pending.push(text);
      size += text.length;
      if (size >= FLUSH_CHARS) await flush();
    }
    await flush();
    await client.query('commit');
    out.end();
    await once(out, 'finish');
    return { ms: performance.now() - started, resources: counter.resources, bytes };
  } finally {
    out.destroy();
    await client.end();
  }
}
