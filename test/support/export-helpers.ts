/**
 * Helpers for the ExportData API tests (test/api/export*.test.ts): seeding an instance through
 * ImportData, raw HTTP calls for what the typed callers of protocols.ts hide (the exact JSON
 * text of a response, the stable error id), and listings for "nothing left behind" checks.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { Storage } from '@google-cloud/storage';
import type { TestApp } from './app.js';
import { type GcsEmulator, startGcsEmulator } from './gcs-emulator.js';

export interface RawResult {
  status: number;
  /** The response body exactly as sent. */
  text: string;
  /** The body parsed ({} when empty or not a JSON object). */
  json: JsonObject;
  /** `x-idport-error-id` (Connect sends error metadata as headers); null on REST and success. */
  errorId: string | null;
}

/** POSTs `body` as JSON with the admin token. */
export async function postJson(app: TestApp, urlPath: string, body: unknown): Promise<RawResult> {
  const res = await fetch(`${app.url}${urlPath}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: JsonValue = {};
  try {
    parsed = text === '' ? {} : (JSON.parse(text) as JsonValue);
  } catch {
    // not JSON: callers look at `text` and `status`
  }
  const json = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : {};
  return { status: res.status, text, json, errorId: res.headers.get('x-idport-error-id') };
}

/** ExportData on its REST path, the way the migration guide's curl sends it. */
export const exportRest = (app: TestApp, body: JsonObject) => postJson(app, '/admin/v1/export', body);

/** ExportData over Connect's unary JSON protocol by hand, to read the error id header. */
export const exportConnectRaw = (app: TestApp, body: JsonObject) => postJson(app, '/zitadel.admin.v1.AdminService/ExportData', body);

/** Imports `orgs` (admin.v1 DataOrg JSON) and fails loudly unless every resource made it. */
export async function seed(app: TestApp, orgs: readonly unknown[]): Promise<void> {
  const res = await postJson(app, '/admin/v1/import', { timeout: '5m', data_orgs: { orgs } });
  const errors = res.json.errors as JsonValue[] | undefined;
  if (res.status !== 200 || (errors?.length ?? 0) > 0) {
    throw new Error(`seeding by import failed: HTTP ${res.status} ${res.text.slice(0, 1000)}`);
  }
}

/** One org holding `count` human users: enough rows that an export takes many milliseconds. */
export function bigOrg(orgId: string, count: number): JsonObject {
  return {
    orgId,
    org: { name: `Big ${orgId}` },
    humanUsers: Array.from({ length: count }, (_, i) => ({
      userId: `${orgId}u${i}`,
      user: {
        userName: `big-${orgId}-${i}`,
        profile: { firstName: 'Big', lastName: `User ${i}` },
        email: { email: `big-${orgId}-${i}@big.example` },
      },
      state: 'USER_STATE_ACTIVE',
    })),
    orgState: 'ORG_STATE_ACTIVE',
  };
}

/** The `orgs` of an ExportDataResponse JSON. */
export function orgsOf(json: JsonObject): JsonObject[] {
  return (json.orgs ?? []) as JsonObject[];
}

export function orgIn(json: JsonObject, orgId: string): JsonObject | undefined {
  return orgsOf(json).find((o) => o.orgId === orgId);
}

/** Every object key anywhere in `value`, for "this field appears nowhere" checks. */
export function keysDeep(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) keysDeep(v, into);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      into.add(k);
      keysDeep(v, into);
    }
  }
  return into;
}

/** Every file under `dir`, relative and sorted, dot-files (the exporter's temp files) included. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/**
 * google-auth-library warns once per Storage built with a `credentials` option, which the GCS
 * adapter does on purpose for every call (see src/blob/gcs.ts). Returns the restore function.
 */
export function muteCredentialsWarning(): () => void {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('The `credentials` option is deprecated')) return;
    warn(...args);
  };
  return () => {
    console.warn = warn;
  };
}

/**
 * Starts the GCS emulator as the storage of every app started afterwards (the adapter builds
 * its SDK client per call, and the SDK reads STORAGE_EMULATOR_HOST then), with an SDK client
 * for the test's own checks. `stop()` puts the environment back.
 */
export async function useGcsEmulator(): Promise<{ emulator: GcsEmulator; sdk: Storage; stop(): Promise<void> }> {
  const savedHost = process.env.STORAGE_EMULATOR_HOST;
  const restoreWarn = muteCredentialsWarning();
  const emulator = await startGcsEmulator();
  process.env.STORAGE_EMULATOR_HOST = emulator.url;
  return {
    emulator,
    sdk: new Storage({ projectId: 'demo-test' }),
    async stop() {
      await emulator.stop();
      if (savedHost === undefined) delete process.env.STORAGE_EMULATOR_HOST;
      else process.env.STORAGE_EMULATOR_HOST = savedHost;
      restoreWarn();
    },
  };
}

/**
 * Splits a one-line shell command the way sh would for the quoting docs use: '…' literal,
 * "…" and bare words with $NAME expanded from `vars`. Lets tests keep a guide's command verbatim
 * and still run it with execFile (no shell, so no shell-specific surprises).
 */
export function shellWords(command: string, vars: Record<string, string>): string[] {
  const expand = (text: string) =>
    text.replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => {
      const value = vars[name];
      if (value === undefined) throw new Error(`shellWords: $${name} is not set`);
      return value;
    });
  const words: string[] = [];
  const token = /(\s*)(?:'([^']*)'|"((?:[^"\\]|\\.)*)"|([^\s'"]+))/y;
  let at = 0;
  for (let m = token.exec(command); m !== null; m = token.exec(command)) {
    const [, space, single, double, bare] = m;
    const part = single !== undefined ? single : double !== undefined ? expand(double.replace(/\\(["\\$`])/g, '$1')) : expand(bare ?? '');
    // A token right after the previous one, with no space between, continues the same word.
    if (space === '' && words.length > 0) words[words.length - 1] += part;
    else words.push(part);
    at = token.lastIndex;
  }
  if (command.slice(at).trim() !== '') throw new Error(`shellWords: cannot split near "${command.slice(at, at + 20)}"`);
  return words;
}
