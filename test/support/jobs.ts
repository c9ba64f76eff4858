import type { JsonObject } from '@bufbuild/protobuf';

/**
 * REST helpers for idport.v1.JobService tests: start a job, read NDJSON streams (WatchJob,
 * GetJobReport) the way a grpc-gateway client does, one `{"result": …}` per line.
 */

export async function restJson(base: string, token: string | undefined, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as JsonObject };
}

/** Every line of an NDJSON stream, parsed. */
export async function ndjson(
  base: string,
  token: string,
  path: string,
): Promise<{ status: number; contentType: string; lines: JsonObject[] }> {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  const lines = text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as JsonObject);
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', lines };
}

export async function startImportJob(base: string, token: string, orgs: JsonObject[], options: JsonObject = {}): Promise<JsonObject> {
  const res = await restJson(base, token, 'POST', '/idport/v1/jobs/import', { request: { timeout: '10m', dataOrgs: { orgs } }, options });
  if (res.status !== 200) throw new Error(`StartImport answered ${res.status}: ${JSON.stringify(res.json)}`);
  return res.json.job as JsonObject;
}

/** Watches over REST until the job ends; answers every event's job. */
export async function watchToEnd(base: string, token: string, jobId: string): Promise<JsonObject[]> {
  const { lines } = await ndjson(base, token, `/idport/v1/jobs/${jobId}:watch`);
  return lines.map((l) => (l.result as JsonObject).job as JsonObject);
}

/** The stored report's rows, in order, over REST. */
export async function reportRows(base: string, token: string, jobId: string): Promise<{ rows: JsonObject[]; last: JsonObject }> {
  const { lines } = await ndjson(base, token, `/idport/v1/jobs/${jobId}/report`);
  const chunks = lines.map((l) => l.result as JsonObject);
  return { rows: chunks.flatMap((c) => (c.results as JsonObject[] | undefined) ?? []), last: chunks.at(-1) ?? {} };
}

/** Polls GetJob until `until` holds. */
export async function waitForJob(
  base: string,
  token: string,
  jobId: string,
  until: (job: JsonObject) => boolean,
  ms = 60_000,
): Promise<JsonObject> {
  const end = Date.now() + ms;
  for (;;) {
    const { json } = await restJson(base, token, 'GET', `/idport/v1/jobs/${jobId}`);
    const job = json.job as JsonObject | undefined;
    if (job && until(job)) return job;
    if (Date.now() > end) throw new Error(`job ${jobId} never got there: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
