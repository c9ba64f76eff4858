/**
 * `npx tsx test/bench/report-memory.ts [--users 1000000] [--orgs 10] [--failures 3000]`:
 * the import report's memory (issue 10, "Memory"). Feeds a synthetic 1M-user outcome stream
 * (per org: human users, one metadata entry each, one user grant each, a few org members and a
 * few thousand failures with messages) through the org sessions' PackedResults into the
 * synchronous RPCs' report collector, then builds each protocol's answer, every encoding in a
 * fresh child process so its peak RSS (VmHWM) is its own:
 * - admin-binary: ZITADEL's ImportDataResponse as protobuf binary (Connect binary, gRPC, gRPC-Web);
 * - admin-json: the same as the proto-JSON string the REST gateway and Connect JSON send;
 * - idport-binary / idport-json: idport.v1's answer, with every resource's `results` row;
 * - admin-json-streamed / idport-json-streamed: the same JSON as the REST gateway and Connect
 *   JSON now write it (transport/json-answer.ts: 256 KiB chunks, 'drain' awaited) to a local
 *   TCP socket whose other end discards what it reads.
 * heapUsed, Buffers (arrayBuffers: the packed report lives there) and RSS are read after a forced GC at each phase (node --expose-gc, which this
 * script passes to its children). Figures vary with the machine; compare runs side by side.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { toBinary, toJsonString } from '@bufbuild/protobuf';
import { createAsyncIterable } from '@connectrpc/connect/protocol';
import { ImportDataResponseSchema as DetailedSchema } from '../../gen/idport/v1/migration_pb.js';
import { ImportDataResponseSchema } from '../../gen/zitadel/admin_pb.js';
import type { ItemResult } from '../../src/application/import/import-report.js';
import { PackedResults } from '../../src/application/import/packed-results.js';
import { createReportCollector } from '../../src/application/import/report-collector.js';
import { type JsonObject, pickPaths } from '../../src/domain/json.js';
import { KIND_BY_TYPE, type ResourceType } from '../../src/domain/resources/kinds.js';
import { importResponse } from '../../src/transport/admin/import-response.js';
import { detailedResponse } from '../../src/transport/idport/migration.handler.js';
import { createJsonAnswers } from '../../src/transport/json-answer.js';

const ENCODINGS = ['admin-binary', 'admin-json', 'admin-json-streamed', 'idport-binary', 'idport-json', 'idport-json-streamed'] as const;
type Encoding = (typeof ENCODINGS)[number];

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '1000000' },
    orgs: { type: 'string', default: '10' },
    failures: { type: 'string', default: '3000' },
    encoding: { type: 'string' },
  },
});
const users = Number(args.users);
const orgs = Number(args.orgs);
const failures = Number(args.failures);

const MB = 1024 * 1024;
const mb = (n: number) => Math.round(n / MB);
const peakRss = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) * 1024;

function measure(phase: string): string {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run node with --expose-gc');
  gc();
  gc();
  const m = process.memoryUsage();
  return `${phase}\t${mb(m.heapUsed)}\t${mb(m.arrayBuffers)}\t${mb(m.rss)}\t${mb(peakRss())}`;
}

/** 18-digit ids as ZITADEL makes them, each a flat string of its own (as JSON.parse gives). */
const zid = (n: number) => String(200_000_000_000_000_000 + n * 7919);

/** One org pass's outcomes, recorded as org-session.ts records them (summary fields only). */
function* orgPass(org: number, pass: 1 | 2 | 3): Generator<ItemResult> {
  const orgId = zid(org);
  const perOrg = Math.floor(users / orgs);
  const failEvery = Math.max(1, Math.floor((3 * users) / Math.max(failures, 1)));
  const projectId = zid(1_000_000_000 + org);
  const result = (type: ResourceType, item: JsonObject, i: number): ItemResult => {
    const kind = KIND_BY_TYPE.get(type);
    if (!kind) throw new Error(type);
    const id = kind.id(item, orgId);
    if (failures > 0 && i % failEvery === failEvery - 1) {
      const message = `${type} ${id} references user ${zid(i)}, which was not imported (Errors.User.NotFound «ü»)`;
      return { orgId, type, id, outcome: 'failed', message, item: pickPaths(item, kind.summary) };
    }
    return { orgId, type, id, outcome: 'created', item: pickPaths(item, kind.summary) };
  };
  // Kind after kind, as an org session imports them (one step per kind).
  const steps: [1 | 2 | 3, ResourceType, (userId: string, u: number) => JsonObject | undefined][] = [
    [1, 'human_user', (userId, u) => ({ userId, user: { userName: `user${u}@org${org}.example.com`, profile: { firstName: 'Zoë' } } })],
    [1, 'user_metadata', (userId) => ({ id: userId, key: 'department', value: 'ZW5naW5lZXJpbmc=' })],
    [2, 'user_grant', (userId) => ({ userId, projectId, roleKeys: ['reader'] })],
    [3, 'org_member', (userId, u) => (u % 100 === 0 ? { userId, roles: ['ORG_OWNER'] } : undefined)],
  ];
  for (const [inPass, type, item] of steps) {
    if (inPass !== pass) continue;
    for (let u = 0; u < perOrg; u++) {
      // A fresh string per occurrence, as JSON.parse gives each one in the file.
      const one = item(zid(org * perOrg + u), u);
      if (one) yield result(type, one, u);
    }
  }
}

/** Writes the answer as the REST gateway and Connect JSON do, to a socket that discards; returns the bytes written. */
async function streamToSocket(schema: typeof ImportDataResponseSchema, message: never): Promise<number> {
  const server = net.createServer((socket) => socket.on('data', () => undefined));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const answers = createJsonAnswers({ methods: new Set(), acceptCompression: [], compressMinBytes: 1024 });
  const connectOk = { status: 200, header: new Headers({ 'content-type': 'application/json' }), body: createAsyncIterable([]) };
  const answer = await answers.answer(connectOk, { answer: { schema, message } }, null);
  let bytes = 0;
  for await (const chunk of answer.body as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  await new Promise<void>((resolve) => socket.end(resolve));
  server.close();
  return bytes;
}

async function child(encoding: Encoding): Promise<void> {
  const lines = [measure('start')];
  const collector = createReportCollector();
  for (const pass of [1, 2, 3] as const) {
    for (let org = 0; org < orgs; org++) {
      const session = new PackedResults();
      for (const r of orgPass(org, pass)) session.add(r);
      for (const r of session) collector.add(r);
    }
  }
  const report = collector.report(false);
  lines.push(measure('collected'));
  const admin = encoding.startsWith('admin');
  const message = admin ? importResponse(report) : detailedResponse(report);
  lines.push(measure('message built'));
  const schema = admin ? ImportDataResponseSchema : DetailedSchema;
  if (encoding.endsWith('streamed')) {
    const written = await streamToSocket(schema as typeof ImportDataResponseSchema, message as never);
    lines.push(`${measure('written')}\t${mb(written)}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return;
  }
  // As connect-es serializes: toBinary, or toJsonString then UTF-8 bytes.
  const bytes = encoding.endsWith('binary')
    ? toBinary(schema as typeof ImportDataResponseSchema, message as never)
    : new TextEncoder().encode(toJsonString(schema as typeof ImportDataResponseSchema, message as never));
  lines.push(`${measure('encoded')}\t${mb(bytes.length)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (args.encoding) {
  await child(args.encoding as Encoding);
} else {
  const self = fileURLToPath(import.meta.url);
  console.log(`report memory: ${users} users, ${orgs} orgs, ${failures} failures; load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  console.log('encoding\tphase\theapUsed MB\tBuffers MB\tRSS MB\tpeak RSS MB\tbytes MB');
  for (const encoding of ENCODINGS) {
    const out = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        '--import',
        'tsx',
        self,
        '--users',
        String(users),
        '--orgs',
        String(orgs),
        '--failures',
        String(failures),
        '--encoding',
        encoding,
      ],
      { encoding: 'utf8', maxBuffer: 16 * MB },
    );
    if (out.status !== 0) console.log(`${encoding}\tfailed: ${out.stderr.trim().split('\n').slice(-3).join(' ')}`);
    for (const line of out.stdout.trim().split('\n').filter(Boolean)) console.log(`${encoding}\t${line}`);
  }
}
