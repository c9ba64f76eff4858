import { validateEmail, validatePhone } from '../contact.js';
import { invalidArgument } from '../errors.js';
import { isJsonObject, type Json, type JsonObject, stringAt, stringsAt, valueAt } from '../json.js';
import { validateOtpSecret } from '../otp-secret.js';
import { parsePasswordHash } from '../password-hash.js';
import { checkFieldRules } from './field-rules.js';
import { forSettings, type ResourceKind, type ResourceType } from './kinds.js';

/** A user's secrets as stored apart from the user (never logged). */
export interface Secrets {
  passwordHash: string | null;
  otpSecret: string | null;
}

/**
 * Secret fields that prepareResource moves out of the payload (into user_secret, stored as a
 * hash or sealed there), by kind, as dotted JSON paths: the payload never holds them, so no
 * payload sealing is needed for them (transport/codec/secret-paths.ts leaves them out).
 */
export const SPLIT_SECRET_FIELDS: Readonly<Record<string, readonly string[]>> = {
  human_user: ['user.password', 'user.hashedPassword', 'user.otpCode'],
};

/** An item checked and split into what is stored openly and what is secret. */
export interface PreparedResource {
  /** Canonical item without secrets: what is stored as the payload. */
  item: JsonObject;
  secrets?: Secrets;
  /** A plaintext password to hash before storing (ZITADEL's ImportHumanUserRequest.password). */
  plaintextPassword?: string;
}

/** Fields ZITADEL's own API refuses to create the resource without. */
const REQUIRED = {
  ...forSettings((k): readonly string[] => (k.setting === 'text' ? ['language'] : [])),
  org: ['org.name'],
  domain: ['domainName'],
  oidc_idp: ['idpId', 'idp.name'],
  jwt_idp: ['idpId', 'idp.name'],
  human_user: ['userId', 'user.userName', 'user.profile.firstName', 'user.profile.lastName', 'user.email.email'],
  machine_user: ['userId', 'user.userName', 'user.name'],
  user_metadata: ['id', 'key'],
  machine_user_key: ['keyId', 'userId'],
  user_link: ['userId', 'idpId', 'providedUserId'],
  project: ['projectId', 'project.name'],
  oidc_app: ['appId', 'app.projectId', 'app.name'],
  api_app: ['appId', 'app.projectId', 'app.name'],
  app_key: ['id', 'appId'],
  action: ['actionId', 'action.name'],
  project_role: ['projectId', 'roleKey'],
  trigger_action: ['flowType', 'triggerType'],
  project_grant: ['grantId', 'projectGrant.projectId', 'projectGrant.grantedOrgId'],
  user_grant: ['userId', 'projectId'],
  org_member: ['userId'],
  project_member: ['projectId', 'userId'],
  project_grant_member: ['projectId', 'grantId', 'userId'],
} satisfies Record<ResourceType, readonly string[]>;

const ROLE_HOLDERS = new Set<ResourceType>(['org_member', 'project_member', 'project_grant_member']);

// ZITADEL writes trigger flow/trigger types as numeric ids; old exports used the enum names.
const FLOW_TYPES: Record<string, string> = { FLOW_TYPE_EXTERNAL_AUTHENTICATION: '1', FLOW_TYPE_INTERNAL_AUTHENTICATION: '3' };
const TRIGGER_TYPES: Record<string, string> = {
  TRIGGER_TYPE_POST_AUTHENTICATION: '1',
  TRIGGER_TYPE_PRE_CREATION: '2',
  TRIGGER_TYPE_POST_CREATION: '3',
  TRIGGER_TYPE_PRE_USERINFO_CREATION: '4',
  TRIGGER_TYPE_PRE_ACCESS_TOKEN_CREATION: '5',
  TRIGGER_TYPE_PRE_SAML_RESPONSE_CREATION: '6',
};

function numericType(value: string, names: Record<string, string>, field: string): string {
  if (/^\d+$/.test(value)) return value;
  const id = names[value];
  if (!id) throw invalidArgument('ACTION-type', `unknown ${field} "${value}"`);
  return id;
}

const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

/**
 * Checks one DataOrg item and splits secrets off it. Throws DomainError(InvalidArgument) with a
 * message naming the field; never echoes secret values.
 */
export function prepareResource(kind: ResourceKind, item: JsonObject): PreparedResource {
  checkFieldRules(kind.type, item);
  const missing = (REQUIRED[kind.type] as readonly string[]).filter((path) => stringAt(item, path).trim() === '');
  if (missing.length > 0) {
    throw invalidArgument('IMPORT-required', `${kind.type}: missing ${missing.join(', ')}`);
  }
  if (kind.setting === 'text' && !LANGUAGE.test(stringAt(item, 'language'))) {
    throw invalidArgument('IMPORT-language', `${kind.type}: "${stringAt(item, 'language')}" is not a language tag`);
  }
  if (ROLE_HOLDERS.has(kind.type) && stringsAt(item, 'roles').length === 0) {
    throw invalidArgument('IMPORT-roles', `${kind.type}: at least one role is required`);
  }
  switch (kind.type) {
    case 'domain':
      if (!DOMAIN_NAME.test(stringAt(item, 'domainName'))) {
        throw invalidArgument('IMPORT-domain', `domain "${stringAt(item, 'domainName')}" is not a valid domain name`);
      }
      return { item };
    case 'trigger_action':
      return {
        item: {
          ...item,
          flowType: numericType(stringAt(item, 'flowType'), FLOW_TYPES, 'flow type'),
          triggerType: numericType(stringAt(item, 'triggerType'), TRIGGER_TYPES, 'trigger type'),
        },
      };
    case 'human_user':
      return prepareHumanUser(item);
    default:
      return { item };
  }
}

function prepareHumanUser(item: JsonObject): PreparedResource {
  const user = item.user as JsonObject;
  validateEmail(stringAt(item, 'user.email.email'));
  const phone = stringAt(item, 'user.phone.phone');
  if (phone) validatePhone(phone);

  const hashed = stringAt(item, 'user.hashedPassword.value');
  const plaintext = stringAt(item, 'user.password');
  if (hashed && plaintext) {
    throw invalidArgument('USER-password-both', 'human_user: give either password or hashedPassword, not both');
  }
  // Checked at the door: only known hash formats within cost bounds (see password-hash.ts).
  const passwordHash = hashed ? parsePasswordHash(hashed).encoded : null;
  const otp = stringAt(item, 'user.otpCode');
  const otpSecret = otp ? validateOtpSecret(otp) : null;

  const { password: _p, hashedPassword: _h, otpCode: _o, ...openUser } = user;
  const prepared: PreparedResource = {
    item: { ...item, user: openUser },
    secrets: { passwordHash, otpSecret },
  };
  if (plaintext) prepared.plaintextPassword = plaintext;
  return prepared;
}

/** ImportHumanUserRequest field order, so exported users read like protojson output. */
const HUMAN_USER_FIELDS = [
  'userName',
  'profile',
  'email',
  'phone',
  'password',
  'hashedPassword',
  'passwordChangeRequired',
  'requestPasswordlessRegistration',
  'otpCode',
  'idps',
];

/** Puts secrets back into a human user item for export (only the ones given). */
export function withSecrets(item: JsonObject, secrets: Partial<Secrets>): JsonObject {
  const user = valueAt(item, 'user');
  if (!isJsonObject(user)) return item;
  const merged: Record<string, Json | undefined> = { ...user };
  if (secrets.passwordHash) merged.hashedPassword = { value: secrets.passwordHash };
  if (secrets.otpSecret) merged.otpCode = secrets.otpSecret;
  const ordered: JsonObject = {};
  for (const key of HUMAN_USER_FIELDS) if (merged[key] !== undefined) ordered[key] = merged[key] as Json;
  for (const [key, value] of Object.entries(merged)) if (!(key in ordered) && value !== undefined) ordered[key] = value;
  return { ...item, user: ordered };
}
