import { invalidArgument } from '../errors.js';
import { isJsonObject, type Json, type JsonObject, valueAt } from '../json.js';
import { forSettings, type ResourceType } from './kinds.js';

/**
 * Per-item value rules, checked before a resource goes near the database, so whatever idport
 * accepts ZITADEL accepts back and no value reaches a column that cannot hold it.
 *
 * Lengths are the `validate.rules` bounds of ZITADEL's protos (proto/zitadel/management.proto,
 * admin.proto: user names, names, profile fields and e-mails at most 200, preferred language 10,
 * phone 50, machine description 500, metadata value 500,000 bytes), counted in code points as
 * protoc-gen-validate counts `max_len`. Ids are ZITADEL's 200 too, but idport's key columns hold
 * 64 characters (ZITADEL's own ids are 18 digits), so 64 is the bound, named in the error.
 */
const ID = 64;
const NAME = 200;

type Rule = readonly [path: string, max: number];

const ids = (...paths: string[]): Rule[] => paths.map((p) => [p, ID] as const);
const names = (...paths: string[]): Rule[] => paths.map((p) => [p, NAME] as const);

/** Rules per ImportDataError type; org settings have none beyond storable text. */
const RULES = {
  ...forSettings((): readonly Rule[] => []),
  org: [...ids('orgId'), ...names('org.name')],
  domain: [['domainName', 200]],
  oidc_idp: [...ids('idpId'), ...names('idp.name', 'idp.clientId', 'idp.clientSecret', 'idp.issuer')],
  jwt_idp: [...ids('idpId'), ...names('idp.name', 'idp.jwtEndpoint', 'idp.issuer', 'idp.keysEndpoint', 'idp.headerName')],
  human_user: [
    ...ids('userId'),
    ...names('user.userName', 'user.profile.firstName', 'user.profile.lastName', 'user.profile.nickName', 'user.profile.displayName'),
    ['user.profile.preferredLanguage', 10],
    ['user.email.email', 200],
    ['user.phone.phone', 50],
  ],
  machine_user: [...ids('userId'), ...names('user.userName', 'user.name'), ['user.description', 500]],
  user_metadata: [...ids('id'), ...names('key')],
  machine_user_key: ids('keyId', 'userId'),
  user_link: [...ids('userId', 'idpId'), ...names('providedUserId', 'providedUserName', 'idpName')],
  project: [...ids('projectId'), ...names('project.name')],
  oidc_app: [...ids('appId', 'app.projectId'), ...names('app.name')],
  api_app: [...ids('appId', 'app.projectId'), ...names('app.name')],
  app_key: ids('id', 'appId', 'projectId'),
  action: [...ids('actionId'), ...names('action.name')],
  project_role: [...ids('projectId'), ...names('roleKey', 'displayName', 'group')],
  project_grant: ids('grantId', 'projectGrant.projectId', 'projectGrant.grantedOrgId'),
  user_grant: ids('userId', 'projectId', 'projectGrantId'),
  org_member: ids('userId'),
  project_member: ids('projectId', 'userId'),
  project_grant_member: ids('projectId', 'grantId', 'userId'),
  trigger_action: [],
} satisfies Record<ResourceType, readonly Rule[]>;

/** Largest metadata value, decoded (SetUserMetadataRequest.value: bytes max_len 500000). */
const METADATA_MAX_BYTES = 500_000;

/** Whether `s` has more than `max` code points: never more than its UTF-16 length, so most need no count. */
function longerThan(s: string, max: number): boolean {
  if (s.length <= max) return false;
  let n = 0;
  for (const _ of s) if (++n > max) return true;
  return false;
}

/**
 * Checks `item` of `type`: every string anywhere in it (keys too) is storable text, and the
 * fields with ZITADEL bounds are within them. Throws `IMPORT-text` or `IMPORT-length`
 * (InvalidArgument) naming the field; never echoes the value.
 */
export function checkFieldRules(type: ResourceType, item: JsonObject): void {
  // The walk that names the field runs only for an item that fails: building every field's path
  // for every item was most of this check's time in a 200,000-user import (issue 10).
  if (!allStorable(item)) checkText(item, '');
  for (const [path, max] of RULES[type] as readonly Rule[]) {
    const value = valueAt(item, path);
    if (typeof value === 'string' && longerThan(value, max)) {
      throw invalidArgument(
        'IMPORT-length',
        `${type}: ${path} is longer than ${max} characters${max === ID ? " (idport's id limit)" : ''}`,
      );
    }
  }
  if (type === 'user_metadata') {
    const value = valueAt(item, 'value');
    if (typeof value === 'string' && Buffer.byteLength(value, 'base64') > METADATA_MAX_BYTES) {
      throw invalidArgument('IMPORT-length', `user_metadata: value is larger than ${METADATA_MAX_BYTES} bytes`);
    }
  }
}

/**
 * NUL cannot be stored in PostgreSQL text or json, and a lone UTF-16 surrogate is not text at
 * all (it has no UTF-8 form): either would reach the database as a driver error, so they are
 * refused here, for this resource alone.
 */
function checkText(value: Json | undefined, path: string): void {
  if (typeof value === 'string') {
    if (!isStorableText(value)) {
      throw invalidArgument('IMPORT-text', `${path || 'a value'} holds a NUL character or a lone surrogate, which is not storable text`);
    }
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkText(value[i], `${path}[${i}]`);
  } else if (isJsonObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (!isStorableText(k)) throw invalidArgument('IMPORT-text', `a field name under ${path || 'the item'} is not storable text`);
      checkText(v, path ? `${path}.${k}` : k);
    }
  }
}

/** Whether every string in `value`, keys included, is storable text. */
function allStorable(value: Json): boolean {
  if (typeof value === 'string') return isStorableText(value);
  if (Array.isArray(value)) {
    for (const v of value) if (!allStorable(v)) return false;
  } else if (value !== null && typeof value === 'object') {
    for (const k in value) if (!isStorableText(k) || !allStorable(value[k] as Json)) return false;
  }
  return true;
}

/** No NUL, no unpaired surrogate (String.prototype.isWellFormed, ECMA-262 2024: no lone surrogates). */
export function isStorableText(s: string): boolean {
  return s.isWellFormed() && !s.includes('\u0000');
}
