import { type DescMessage, fromJson, type JsonValue, type JsonObject as PbJsonObject, toJson } from '@bufbuild/protobuf';
import {
  DataOrgSchema as AdminDataOrgSchema,
  type ImportDataOrg as AdminImportDataOrg,
  ImportDataOrgSchema as AdminImportDataOrgSchema,
} from '../../../gen/zitadel/admin_pb.js';
import {
  DataOrgSchema as V1DataOrgSchema,
  type ImportDataOrg as V1ImportDataOrg,
  ImportDataOrgSchema as V1ImportDataOrgSchema,
} from '../../../gen/zitadel/v1_pb.js';
import type { DataOrgShape, DecodedOrg, ImportFileCodec } from '../../application/ports.js';
import { invalidArgument } from '../../domain/errors.js';
import { isJsonObject, type Json, type JsonObject } from '../../domain/json.js';
import { isCanonical } from './canonical.js';
import { orgShape } from './data-org-shape.js';
import { scanOrgs } from './org-scanner.js';

export type { DataOrgShape } from './data-org-shape.js';

const JSON_OUT = { alwaysEmitImplicit: false } as const;

/** admin.v1 DataOrgs as canonical proto-JSON (the shape the application works on). */
export function adminOrgsToJson(msg: AdminImportDataOrg): JsonObject[] {
  const json = toJson(AdminImportDataOrgSchema, msg, JSON_OUT) as JsonObject;
  return (json.orgs ?? []) as JsonObject[];
}

/** v1 DataOrgs, moved into the admin.v1 shape (see normaliseV1Org). */
export function v1OrgsToJson(msg: V1ImportDataOrg): JsonObject[] {
  const json = toJson(V1ImportDataOrgSchema, msg, JSON_OUT) as JsonObject;
  return ((json.orgs ?? []) as JsonObject[]).map(normaliseV1Org);
}

/**
 * zitadel.v1.v1.DataOrg differs from the admin one in a few fields: `iamPolicy` instead of
 * `domainPolicy`, and login-policy factors and IdPs as separate lists. Everything else has the
 * same JSON names, so the rest carries over as is.
 */
export function normaliseV1Org(org: JsonObject): JsonObject {
  const { iamPolicy, secondFactors, multiFactors, idps, ...rest } = org;
  const out: JsonObject = { ...rest };
  if (isJsonObject(iamPolicy) && out.domainPolicy === undefined) {
    out.domainPolicy = iamPolicy.userLoginMustBeDomain === true ? { userLoginMustBeDomain: true } : {};
  }
  const extra: JsonObject = {};
  const types = (list: Json | undefined) => (Array.isArray(list) ? list.map((f) => (isJsonObject(f) ? (f.type ?? null) : null)) : []);
  if (Array.isArray(secondFactors) && secondFactors.length) extra.secondFactors = types(secondFactors);
  if (Array.isArray(multiFactors) && multiFactors.length) extra.multiFactors = types(multiFactors);
  if (Array.isArray(idps) && idps.length) extra.idps = idps;
  if (Object.keys(extra).length) {
    const policy = isJsonObject(out.loginPolicy) ? out.loginPolicy : {};
    out.loginPolicy = { ...policy, ...Object.fromEntries(Object.entries(extra).filter(([k]) => policy[k] === undefined)) };
  }
  return out;
}

function parseOrgJson(bytes: Uint8Array): JsonValue {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as JsonValue;
  } catch {
    throw invalidArgument('IMPORT-file-json', 'the import file is not valid JSON');
  }
}

/**
 * Checks a whole export file before anything is imported: its structure and the JSON syntax
 * of every org. A truncated or malformed file is INVALID_ARGUMENT with nothing written.
 */
export async function validateExportFile(chunks: AsyncIterable<Uint8Array>, maxOrgBytes: number): Promise<void> {
  for await (const org of scanOrgs(chunks, maxOrgBytes)) parseOrgJson(org);
}

/**
 * Decodes an export file org by org. Each org's shape comes from its content (orgShape), so
 * an ExportData file named as `data_orgsv1_local`/`_gcs` (the migration guide's file form)
 * keeps its admin-only fields; `declared` only decides orgs that read the same either way.
 * Unknown fields are ignored, as ZITADEL does. An org that is valid JSON but not a valid
 * DataOrg comes back as an error for that org alone.
 */
export async function* decodeExportFile(
  chunks: AsyncIterable<Uint8Array>,
  declared: DataOrgShape,
  maxOrgBytes: number,
): AsyncGenerator<DecodedOrg> {
  for await (const bytes of scanOrgs(chunks, maxOrgBytes)) {
    const json = parseOrgJson(bytes);
    const shape = orgShape(json, declared);
    const schema = shape === 'admin' ? AdminDataOrgSchema : V1DataOrgSchema;
    try {
      if (!isJsonObject(json as Json)) throw new Error('an org must be a JSON object');
      const org = canonicalOrg(schema, json as PbJsonObject);
      yield { org: shape === 'admin' ? org : normaliseV1Org(org) };
    } catch (e) {
      const orgId = isJsonObject(json as Json) ? String((json as PbJsonObject).orgId ?? '') : '';
      yield { orgId, error: `not a valid ${shape} DataOrg: ${(e as Error).message}` };
    }
  }
}

/** The import file codec (ports.ts ImportFileCodec): orgs of at most `maxOrgBytes` each. */
export function createImportFileCodec(limits: { maxOrgBytes: number }): ImportFileCodec {
  return {
    validate: (bytes) => validateExportFile(bytes, limits.maxOrgBytes),
    decode: (bytes, declared) => decodeExportFile(bytes, declared, limits.maxOrgBytes),
  };
}

const FROM_JSON = { ignoreUnknownFields: true } as const;

/**
 * The same as `toJson(fromJson(DataOrg, json))`, one resource at a time and in place: an org
 * of a hundred thousand users is never held as JSON, as a message and as JSON again at once.
 * A resource already in canonical form (canonical.ts) is kept as parsed.
 */
function canonicalOrg(schema: DescMessage, json: PbJsonObject): JsonObject {
  const out: JsonObject = {};
  const scalars: PbJsonObject = {};
  for (const [key, value] of Object.entries(json)) {
    const field = schema.fields.find((f) => f.jsonName === key || f.name === key);
    if (!field || value === null) continue;
    if (field.fieldKind === 'list' && field.listKind === 'message') {
      if (!Array.isArray(value)) throw new Error(`${field.jsonName} must be an array`);
      const items = value as JsonValue[];
      for (let i = 0; i < items.length; i++) {
        const item = items[i] ?? null;
        // Most items of an export file are canonical already (idport and ZITADEL write them so):
        // normalising those would give them back unchanged, at the cost of a message each.
        if (!isCanonical(field.message, item)) items[i] = toJson(field.message, fromJson(field.message, item, FROM_JSON), JSON_OUT);
      }
      if (items.length) out[field.jsonName] = items as Json;
    } else if (field.fieldKind === 'message') {
      out[field.jsonName] = (
        isCanonical(field.message, value) ? value : toJson(field.message, fromJson(field.message, value, FROM_JSON), JSON_OUT)
      ) as Json;
    } else {
      scalars[field.jsonName] = value;
    }
  }
  // Scalars and enums (orgId, orgState) through the message itself: its rules, its defaults.
  const head = toJson(schema, fromJson(schema, scalars, FROM_JSON), JSON_OUT) as JsonObject;
  return { ...head, ...out };
}
