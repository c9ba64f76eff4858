/**
 * The second terminal of test/bench/job-trial.ts: a process of its own that reads
 * `GET /idport/v1/jobs/{id}:watch` (NDJSON, one `{"result":{"job":…}}` per line) until the
 * stream ends, and prints each job it saw as one JSON line on stdout, as `curl -N` would show it.
 * Usage: tsx test/bench/job-watcher.ts <base url> <token> <job id>
 */
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';

const [base, token, id] = process.argv.slice(2);
if (!base || !token || !id) throw new Error('usage: job-watcher.ts <base url> <token> <job id>');

const res = await fetch(`${base}/idport/v1/jobs/${id}:watch`, { headers: { authorization: `Bearer ${token}` } });
if (res.status !== 200 || !res.body) throw new Error(`WatchJob answered ${res.status}: ${await res.text()}`);
const lines = createInterface({ input: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), crlfDelay: Infinity });
for await (const line of lines) {
  if (line === '') continue;
  const parsed = JSON.parse(line) as { result?: { job?: unknown }; error?: unknown };
  if (parsed.error) throw new Error(`WatchJob failed: ${JSON.stringify(parsed.error)}`);
  process.stdout.write(`${JSON.stringify(parsed.result?.job ?? null)}\n`);
}
