import type { JsonValue, JsonObject as PbJsonObject } from '@bufbuild/protobuf';
import type { DataOrgShape } from '../../application/ports.js';
import { isJsonObject, type Json } from '../../domain/json.js';

export type { DataOrgShape } from '../../application/ports.js';

/**
 * Fields only zitadel.admin.v1.DataOrg has (what ExportData writes: `orgState` is in every
 * org of an ExportData response) and fields only zitadel.v1.v1.DataOrg has. Every other field
 * has the same JSON name in both messages (proto/zitadel/admin.proto, v1.proto).
 */
const ADMIN_ONLY = [
  'domainPolicy',
  'domain_policy',
  'verifySmsOtpMessages',
  'verify_sms_otp_messages',
  'verifyEmailOtpMessages',
  'verify_email_otp_messages',
  'orgState',
  'org_state',
];
const V1_ONLY = ['iamPolicy', 'iam_policy', 'secondFactors', 'second_factors', 'multiFactors', 'multi_factors', 'idps'];

function triggerHints(org: PbJsonObject): { admin: boolean; v1: boolean } {
  const triggers = org.triggerActions ?? org.trigger_actions;
  const hints = { admin: false, v1: false };
  if (!Array.isArray(triggers)) return hints;
  for (const t of triggers) {
    if (!isJsonObject(t as Json)) continue;
    for (const key of ['flowType', 'flow_type', 'triggerType', 'trigger_type']) {
      const v = (t as PbJsonObject)[key];
      // admin's flow_type/trigger_type are strings holding the numeric id ("1"); v1's are enums,
      // which proto3 JSON may also write as a number. A name ("FLOW_TYPE_…") fits both.
      if (typeof v === 'string' && /^\d+$/.test(v)) hints.admin = true;
      if (typeof v === 'number') hints.v1 = true;
    }
  }
  return hints;
}

/**
 * The one rule for the shape of a DataOrg, used at every input (inline REST and Connect JSON,
 * local files, GCS objects): content decides, not the field that named it. An org with
 * v1-only fields is v1; one with admin-only fields (and no v1-only ones) is admin; one with
 * neither reads the same either way, so `declared` is kept.
 */
export function orgShape(org: JsonValue, declared: DataOrgShape): DataOrgShape {
  if (!isJsonObject(org as Json)) return declared;
  const o = org as PbJsonObject;
  const triggers = triggerHints(o);
  if (triggers.v1 || V1_ONLY.some((k) => k in o)) return 'v1';
  if (triggers.admin || ADMIN_ONLY.some((k) => k in o)) return 'admin';
  return declared;
}

/** The shape of a list of orgs sent in one message: admin or v1 only when no org says otherwise. */
export function orgsShape(orgs: readonly JsonValue[], declared: DataOrgShape): DataOrgShape {
  const shapes = new Set(orgs.map((o) => orgShape(o, declared)));
  return shapes.size === 1 ? ([...shapes][0] ?? declared) : declared;
}

const KEYS: Record<DataOrgShape, readonly string[]> = { admin: ['dataOrgs', 'data_orgs'], v1: ['dataOrgsv1', 'data_orgsv1'] };

/**
 * Inline JSON ImportData bodies (REST gateway, Connect JSON): the migration guide pastes an
 * ExportData response (admin DataOrgs) into `data_orgsv1`, and parsed as v1 its admin-only
 * fields would be dropped as unknown. The body is moved to the field its content belongs to
 * (orgShape), before the message is parsed; a body that is not an import passes unchanged.
 */
export function routeByShape(body: PbJsonObject): PbJsonObject {
  for (const declared of ['v1', 'admin'] as const) {
    const key = KEYS[declared].find((k) => k in body);
    if (!key) continue;
    const value = body[key];
    const orgs = isJsonObject(value as Json) ? (value as PbJsonObject).orgs : undefined;
    if (!Array.isArray(orgs) || orgs.length === 0) return body;
    const shape = orgsShape(orgs, declared);
    if (shape === declared) return body;
    const { [key]: data, ...rest } = body;
    return { ...rest, [shape === 'admin' ? 'dataOrgs' : 'dataOrgsv1']: data ?? null };
  }
  return body;
}

/** routeByShape for idport's MigrationService ImportData, which wraps ZITADEL's request in `request`. */
export function routeWrappedByShape(body: PbJsonObject): PbJsonObject {
  const inner = body.request;
  if (!isJsonObject(inner as Json)) return body;
  return { ...body, request: routeByShape(inner as PbJsonObject) };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/**
 * JSON can spell a lone UTF-16 surrogate (`"\ud800"`), protobuf cannot carry one: decoding the
 * request would fail as a whole for one resource's bad value. Such a surrogate is replaced by NUL,
 * which no storable text holds either, so the resource that carries it fails alone with
 * `IMPORT-text` (domain/resources/field-rules.ts) and nothing altered is ever stored. In place.
 */
export function markLoneSurrogates(value: JsonValue): JsonValue {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? value.replace(LONE_SURROGATES, '\u0000') : value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = markLoneSurrogates(value[i] as JsonValue);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) value[k] = markLoneSurrogates(v as JsonValue);
  }
  return value;
}
