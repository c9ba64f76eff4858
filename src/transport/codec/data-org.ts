import { type DescMessage, fromJson, type JsonValue, type JsonObject as PbJsonObject, toJson } from '@bufbuild/protobuf';
import {
  type ImportDataOrg as AdminImportDataOrg,
  ImportDataOrgSchema as AdminImportDataOrgSchema,
} from '../../../gen/zitadel/admin_pb.js';
import { type ImportDataOrg as V1ImportDataOrg, ImportDataOrgSchema as V1ImportDataOrgSchema } from '../../../gen/zitadel/v1_pb.js';
import { isJsonObject, type Json, type JsonObject } from '../../domain/json.js';
import { isCanonical } from './canonical.js';

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

const FROM_JSON = { ignoreUnknownFields: true } as const;

/**
 * The same as `toJson(fromJson(DataOrg, json))`, one resource at a time and in place, so the
 * JSON is never held as a message and as JSON again at once. A resource already in canonical
 * form (canonical.ts) is kept as parsed. The file reader (org-reader.ts) gives it an org's
 * head; lists it reads item by item.
 */
export function canonicalOrg(schema: DescMessage, json: PbJsonObject): JsonObject {
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
