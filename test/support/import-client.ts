/**
 * Small wrappers the import API tests share: ImportData and ExportData through any protocol
 * caller, and assertions on the results. Errors are matched by code (and, on REST, by the
 * HTTP status grpc-gateway gives that code), never by message text.
 */
import type { JsonObject } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { type Caller, type CallResult, HTTP_STATUS } from './protocols.js';

const admin = AdminService.method;

/** One ImportDataError as the response carries it. */
export interface ImportError {
  type: string;
  id: string;
  message: string;
}

export function expectOk(result: CallResult): JsonObject {
  if (!result.ok) throw new Error(`expected success, got ${Code[result.code]}: ${result.message}`);
  return result.json;
}

/** Fails with `code`; where the response was HTTP we can see (REST, raw JSON), with its status too. */
export function expectCode(result: CallResult, code: Code, httpStatus = HTTP_STATUS[code]): void {
  expect({ ok: result.ok, code: result.ok ? undefined : Code[result.code] }).toEqual({ ok: false, code: Code[code] });
  if (!result.ok && result.httpStatus !== undefined) expect(result.httpStatus).toBe(httpStatus);
}

/** The report's errors, in order; an absent list is an empty one. */
export function errorsOf(response: JsonObject): ImportError[] {
  return ((response.errors ?? []) as JsonObject[]).map((e) => ({
    type: String(e.type ?? ''),
    id: String(e.id ?? ''),
    message: String(e.message ?? ''),
  }));
}

/** The report's success lists of one org ({} when the org is not listed). */
export function successOf(response: JsonObject, orgId: string): JsonObject {
  const orgs = ((response.success as JsonObject | undefined)?.orgs ?? []) as JsonObject[];
  return orgs.find((o) => o.orgId === orgId) ?? {};
}

/** `x-idport-*` import options as headers. */
export function importHeaders(options: { conflictPolicy?: string; dryRun?: boolean | string } = {}): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options.conflictPolicy !== undefined) headers['x-idport-conflict-policy'] = options.conflictPolicy;
  if (options.dryRun !== undefined) headers['x-idport-dry-run'] = String(options.dryRun);
  return headers;
}

/** ImportData with `data_orgs` (admin DataOrgs); returns the raw result. */
export function importOrgs(
  caller: Caller,
  token: string,
  orgs: readonly object[],
  options: { timeout?: string; headers?: Record<string, string> } = {},
): Promise<CallResult> {
  const request: JsonObject = { dataOrgs: { orgs: orgs as JsonObject[] } };
  if (options.timeout !== undefined) request.timeout = options.timeout;
  return caller.call(admin.importData, request, { token, headers: options.headers ?? {} });
}

/** ExportData of `orgIds` (all orgs when empty) with passwords and OTP secrets, as DataOrg JSON. */
export async function exportOrgs(caller: Caller, token: string, orgIds: readonly string[] = []): Promise<JsonObject[]> {
  const json = expectOk(
    await caller.call(admin.exportData, { orgIds: [...orgIds], withPasswords: true, withOtp: true, responseOutput: true }, { token }),
  );
  return (json.orgs ?? []) as JsonObject[];
}

/** The ids of every org the instance lists. */
export async function listOrgIds(caller: Caller, token: string): Promise<string[]> {
  const json = expectOk(await caller.call(admin.listOrgs, { query: { limit: 1000 } }, { token }));
  return ((json.result ?? []) as JsonObject[]).map((o) => String(o.id)).sort();
}
