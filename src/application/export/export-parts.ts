import { deadlineExceeded, notFound } from '../../domain/errors.js';
import type { JsonObject } from '../../domain/json.js';
import { EXPORT_ORDER, type ResourceKind } from '../../domain/resources/kinds.js';
import { withSecrets } from '../../domain/resources/prepare.js';
import type { ResourceReader } from '../ports.js';

/** Which orgs and secrets an export covers. */
export interface ExportSelection {
  orgIds: readonly string[];
  excludedOrgIds: readonly string[];
  withPasswords: boolean;
  withOtp: boolean;
  signal: AbortSignal;
}

/** An export as a sequence: each org's head, its resources in batches, then its end. */
export type ExportPart =
  | { type: 'org'; orgId: string; head: JsonObject }
  /** `items` are JSON texts (canonical proto-JSON, secrets merged in when asked for). */
  | { type: 'items'; orgId: string; kind: ResourceKind; items: string[] }
  | { type: 'end'; orgId: string; head: JsonObject };

/** Resolves org_ids / excluded_org_ids; unknown ids in either are NOT_FOUND. */
export async function selectOrgs(reader: ResourceReader, sel: ExportSelection): Promise<string[]> {
  const all = await reader.orgIds();
  const existing = new Set(all);
  const unknown = [...new Set([...sel.orgIds, ...sel.excludedOrgIds])].filter((id) => !existing.has(id));
  if (unknown.length > 0) throw notFound('EXPORT-org-not-found', `organisations not found: ${unknown.join(', ')}`);
  const excluded = new Set(sel.excludedOrgIds);
  const wanted = sel.orgIds.length ? new Set(sel.orgIds) : existing;
  return all.filter((id) => wanted.has(id) && !excluded.has(id));
}

export const exportDeadline = () => deadlineExceeded('EXPORT-deadline', 'deadline exceeded before the export was complete');

/** Reads the selected orgs kind by kind, in DataOrg field order, `batch` resources at a time. */
export async function* exportParts(
  reader: ResourceReader,
  orgIds: readonly string[],
  sel: ExportSelection,
  batch: number,
): AsyncGenerator<ExportPart> {
  const secrets = { passwords: sel.withPasswords, otp: sel.withOtp };
  for (const orgId of orgIds) {
    if (sel.signal.aborted) throw exportDeadline();
    let head: JsonObject = {};
    for await (const rows of reader.read('org', orgId, secrets)) for (const row of rows) head = JSON.parse(row.json) as JsonObject;
    yield { type: 'org', orgId, head };
    for (const kind of EXPORT_ORDER) {
      let items: string[] = [];
      for await (const rows of reader.read(kind.type, orgId, secrets)) {
        for (const row of rows) {
          const secret = row.secrets && (row.secrets.passwordHash || row.secrets.otpSecret);
          // Only rows with secrets to merge are parsed; the rest go out as stored.
          items.push(secret && row.secrets ? JSON.stringify(withSecrets(JSON.parse(row.json) as JsonObject, row.secrets)) : row.json);
          if (items.length >= batch) {
            yield { type: 'items', orgId, kind, items };
            items = [];
            if (sel.signal.aborted) throw exportDeadline();
          }
        }
      }
      if (items.length) yield { type: 'items', orgId, kind, items };
    }
    yield { type: 'end', orgId, head };
  }
}

/**
 * A piece of ExportDataResponse JSON: `text`, then `items` (when given) joined by commas. A
 * batch stays a list of the items' own texts, so a writer can encode them one by one instead of
 * first joining a batch into one large string (issue 10: each joined batch, half a megabyte, was
 * a V8 large object that survived a scavenge and filled old space until a full collection).
 */
export interface ExportFrame {
  text: string;
  items?: readonly string[];
}

/**
 * ExportDataResponse JSON for a sequence of parts, as protojson would write it: DataOrg fields
 * by number, empty lists left out, orgState always written (a set enum is written; it also
 * marks the file as admin-shaped for importers that get it as data_orgsv1).
 */
export async function* exportFrames(parts: AsyncIterable<ExportPart>): AsyncGenerator<ExportFrame> {
  yield { text: '{"orgs":[' };
  let orgs = 0;
  let openList: string | undefined;
  for await (const part of parts) {
    if (part.type === 'org') {
      yield { text: `${orgs++ ? ',' : ''}{"orgId":${JSON.stringify(part.orgId)},"org":${JSON.stringify(part.head.org ?? {})}` };
    } else if (part.type === 'items') {
      const { kind, items } = part;
      if (!kind.repeated) {
        for (const item of items) yield { text: `,${JSON.stringify(kind.field)}:${item}` };
        continue;
      }
      const continuing = openList === kind.field;
      if (openList && !continuing) yield { text: ']' };
      yield { text: continuing ? ',' : `,${JSON.stringify(kind.field)}:[`, items };
      openList = kind.field;
    } else {
      if (openList) yield { text: ']' };
      openList = undefined;
      yield { text: `,"orgState":${JSON.stringify(part.head.orgState ?? 'ORG_STATE_ACTIVE')}}` };
    }
  }
  yield { text: ']}' };
}

/** A frame as one JSON text. */
export const frameText = (frame: ExportFrame) => (frame.items ? frame.text + frame.items.join(',') : frame.text);

/** ExportDataResponse JSON text for a sequence of parts, a frame at a time (exportFrames). */
export async function* exportJson(parts: AsyncIterable<ExportPart>): AsyncGenerator<string> {
  for await (const frame of exportFrames(parts)) yield frameText(frame);
}
