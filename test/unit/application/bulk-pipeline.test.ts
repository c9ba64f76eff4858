import { BulkPipeline, type PipelineHooks, SEGMENT_ROWS } from '../../../src/application/import/bulk-pipeline.js';
import type { Candidate } from '../../../src/application/import/candidates.js';
import type { BulkWrite, StoredResource } from '../../../src/application/ports.js';
import { KIND_BY_TYPE, type ResourceKind } from '../../../src/domain/resources/kinds.js';

const users = KIND_BY_TYPE.get('human_user') as ResourceKind;
const metadata = KIND_BY_TYPE.get('user_metadata') as ResourceKind;

const candidate = (id: string, index = 0): Candidate => ({
  id,
  index,
  original: { id },
  prepared: { item: { id } } as Candidate['prepared'],
});

/** A bulk write whose close the test ends (or refuses) when it chooses. */
class FakeWrite implements BulkWrite {
  rows: StoredResource[] = [];
  closed = false;
  private settle!: (refusal?: Error) => void;
  private readonly outcome = new Promise<Error | undefined>((resolve) => {
    this.settle = resolve;
  });
  constructor(readonly kind: string) {}
  add(rows: readonly StoredResource[]) {
    if (this.closed) throw new Error('rows added after close');
    this.rows.push(...rows);
  }
  async close() {
    this.closed = true;
    const refusal = await this.outcome;
    if (refusal) throw refusal;
    return { rows: this.rows.length, bytes: 0 };
  }
  async abort() {
    this.closed = true;
    this.settle(new Error('aborted'));
  }
  end(refusal?: Error) {
    this.settle(refusal);
  }
}

function setup(recheck: PipelineHooks['recheck'] = async (_k, c) => c) {
  const writes: FakeWrite[] = [];
  const log: string[] = [];
  const hooks: PipelineHooks = {
    openBulk: async (kind) => {
      // Never two writes at once on the connection: the last one must have closed and been reported.
      const last = writes.at(-1);
      if (last && !log.includes(`done ${writes.length - 1}`)) throw new Error('a write opened while another was open or closing');
      const w = new FakeWrite(kind.type);
      writes.push(w);
      return w;
    },
    provisional: (kind, c) => log.push(`provisional ${kind.type} ${c.id}`),
    stored: (kind, c) => log.push(`stored ${kind.type} ${c.id}`),
    retry: async (kind, held) => {
      log.push(`retry ${kind.type} ${held.map((c) => c.id).join(',')}`);
    },
    recheck: async (kind, c, deferring) => {
      log.push(`recheck ${kind.type} ${c.map((x) => x.id).join(',')}${deferring ? ' deferring' : ''}`);
      return recheck(kind, c, deferring);
    },
    signal: new AbortController().signal,
  };
  const pipeline = new BulkPipeline(hooks);
  /** Ends write `i` and lets the pipeline see it, as the next hold or settle does. */
  const end = (i: number, refusal?: Error) => {
    log.push(`done ${i}`);
    writes[i]?.end(refusal);
  };
  return { pipeline, writes, log, end };
}

test('rows of another kind are prepared while the last write closes, and sent only once it is stored', async () => {
  const { pipeline, writes, log, end } = setup();
  await pipeline.hold(users, [candidate('u1'), candidate('u2')], false);
  expect(writes).toHaveLength(1);
  await pipeline.hold(metadata, [candidate('m1')], false);
  // The users' write is closing; the metadata waits.
  expect(writes).toHaveLength(1);
  expect(writes[0]?.closed).toBe(true);
  end(0);
  await new Promise((r) => setImmediate(r)); // the close is seen at the next hold after it ends
  await pipeline.hold(metadata, [candidate('m2')], false);
  expect(writes.map((w) => w.kind)).toEqual(['human_user', 'user_metadata']);
  expect(writes[1]?.rows.map((r) => r.item.id)).toEqual(['m1', 'm2']);
  const settled = pipeline.settle();
  end(1);
  await settled;
  expect(log.filter((l) => l.startsWith('stored'))).toEqual([
    'stored human_user u1',
    'stored human_user u2',
    'stored user_metadata m1',
    'stored user_metadata m2',
  ]);
});

test('a refused write is retried batch by batch, and what waits behind it is checked again', async () => {
  const { pipeline, writes, log, end } = setup(async (_k, c) => c.filter((x) => x.id !== 'm-bad'));
  await pipeline.hold(users, [candidate('u1'), candidate('bad')], false);
  await pipeline.hold(metadata, [candidate('m1'), candidate('m-bad')], true);
  end(0, new Error('duplicate key'));
  const settled = pipeline.settle();
  await new Promise((r) => setImmediate(r));
  end(1);
  await settled;
  expect(log.filter((l) => !l.startsWith('provisional') && !l.startsWith('done'))).toEqual([
    'retry human_user u1,bad',
    'recheck user_metadata m1,m-bad deferring',
    'stored user_metadata m1',
  ]);
  expect(writes[1]?.rows.map((r) => r.item.id)).toEqual(['m1']);
});

test('a full write is closed, and what is prepared behind it is bounded', async () => {
  const { pipeline, writes, end } = setup();
  const many = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => candidate(`${prefix}${i}`, i));
  await pipeline.hold(users, many('a', SEGMENT_ROWS), false);
  expect(writes[0]?.closed).toBe(true);
  // Behind the closing write, up to SEGMENT_ROWS rows wait; the next hold past that waits for the close.
  let waited = false;
  const held = pipeline.hold(users, many('b', SEGMENT_ROWS), false).then(() => {
    waited = true;
  });
  await new Promise((r) => setImmediate(r));
  expect(waited).toBe(false);
  end(0);
  await held;
  expect(writes).toHaveLength(2);
  const settled = pipeline.settle();
  await new Promise((r) => setImmediate(r));
  end(1);
  await settled;
});

test('abandon drops what waits and the open write', async () => {
  const { pipeline, writes } = setup();
  await pipeline.hold(users, [candidate('u1')], false);
  await pipeline.abandon();
  expect(writes[0]?.closed).toBe(true);
});
