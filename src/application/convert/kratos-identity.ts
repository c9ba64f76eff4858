import { invalidArgument } from '../../domain/errors.js';
import { isJsonObject, type Json, type JsonObject } from '../../domain/json.js';
import { type KratosMapping, traitAt } from './kratos-traits.js';

/**
 * Kratos identity → ZITADEL human user (+ user metadata + user links), per ory/kratos
 * `spec/api.json` (`createIdentityBody`, and the `identity` shape the admin API lists, so a
 * listing with credentials imports as it is) and `identity/handler_import.go`.
 */

/** The user metadata key that keeps what a ZITADEL user has no field for (see README's mapping table). */
export const KRATOS_METADATA_KEY = 'kratos.identity';

/** What a Kratos identity becomes in idport. */
export interface ConvertedIdentity {
  id: string;
  orgId: string;
  /** zitadel.v1.DataHumanUser (secrets inside, as an import item carries them). */
  humanUser: JsonObject;
  /** zitadel.v1.DataUserMetadata items. */
  metadata: JsonObject[];
  /** zitadel.idp.v1.IDPUserLink items. */
  links: JsonObject[];
  /** A plaintext password is hashed on import (Kratos' 200-per-batch limit applies). */
  plaintextPassword: boolean;
  /** What could not be carried, one sentence each (never a secret). */
  notes: string[];
}

/** Fields of createIdentityBody, plus the read-only ones of `identity` (a listing imports as it is). */
const FIELDS = new Set([
  'id',
  'schema_id',
  'schema_url',
  'traits',
  'credentials',
  'state',
  'state_changed_at',
  'verifiable_addresses',
  'recovery_addresses',
  'metadata_public',
  'metadata_admin',
  'organization_id',
  'external_id',
  'region',
  'created_at',
  'updated_at',
]);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Credential types a ZITADEL user can hold; the others are reported as not carried. */
const CARRIED = new Set(['password', 'oidc', 'totp']);
const OIDC_TOKENS = ['initial_id_token', 'initial_access_token', 'initial_refresh_token'];

const bad = (reason: string) => invalidArgument('KRATOS-invalid', reason);

function objectOr(value: Json | undefined, what: string): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isJsonObject(value)) throw bad(`${what} must be an object`);
  return value;
}

function arrayOf(value: Json | undefined, what: string): JsonObject[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every(isJsonObject)) throw bad(`${what} must be an array of objects`);
  return value as JsonObject[];
}

function optionalString(value: Json | undefined, what: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw bad(`${what} must be a string`);
  return value;
}

export interface ConvertContext {
  mapping: KratosMapping;
  defaultOrgId: string;
  newId(): string;
  now(): Date;
  /**
   * Whether a user link to this IdP can be written (the IdP exists in the identity's org; a
   * link to a missing one fails the whole user, IMPORT-reference). Absent: every provider
   * becomes a link (offline file conversion, where the target's IdPs are unknown).
   */
  linkable?(idpId: string, orgId: string): boolean;
}

/** The idport IdP id a Kratos OIDC provider maps to (IDPORT_KRATOS_PROVIDERS; unlisted keep their name). */
export const idpIdOf = (mapping: KratosMapping, provider: string): string => mapping.providers[provider] ?? provider;

/** `provider:subject`, as Kratos names an OIDC credential's identifiers. */
export const oidcKey = (provider: string, subject: string): string => `${provider}:${subject}`;

/** Checks one identity body and converts it. Throws InvalidArgument naming the field. */
export function kratosToZitadel(body: Json, ctx: ConvertContext): ConvertedIdentity {
  if (!isJsonObject(body)) throw bad('identity must be a JSON object');
  for (const key of Object.keys(body)) if (!FIELDS.has(key)) throw bad(`json: unknown field "${key}"`);
  const schemaId = optionalString(body.schema_id, 'schema_id');
  if (!schemaId) throw bad('schema_id is required');
  const traits = objectOr(body.traits, 'traits');
  if (!traits) throw bad('traits is required and must be an object');
  const id = optionalString(body.id, 'id') ?? ctx.newId();
  if (!UUID.test(id)) throw bad(`id "${id}" is not a UUID`);
  const state = optionalString(body.state, 'state') ?? 'active';
  if (state !== 'active' && state !== 'inactive') throw bad(`state must be "active" or "inactive", got "${state}"`);
  const orgId = optionalString(body.organization_id, 'organization_id') ?? ctx.defaultOrgId;
  const now = ctx.now().toISOString();
  const notes: string[] = [];

  const t = ctx.mapping.traits;
  const email = traitAt(traits, t.email);
  if (!email) throw bad(`traits carry no email at "${t.email}" (a ZITADEL human user needs one; see IDPORT_KRATOS_TRAITS)`);
  const userName = t.userName.map((p) => traitAt(traits, p)).find((v) => v !== undefined) ?? email;
  const phone = traitAt(traits, t.phone);
  // Kratos lower-cases addresses on import (identity/handler.go identityFromCreateIdentityBody).
  const verifiable = arrayOf(body.verifiable_addresses, 'verifiable_addresses').map((a) =>
    typeof a.value === 'string' ? { ...a, value: a.value.toLowerCase() } : a,
  );
  const recovery = arrayOf(body.recovery_addresses, 'recovery_addresses').map((a) =>
    typeof a.value === 'string' ? { ...a, value: a.value.toLowerCase() } : a,
  );
  const verified = (via: string, value: string) =>
    verifiable.some((a) => a.via === via && a.verified === true && a.value === value.toLowerCase());

  const user: JsonObject = {
    userName,
    // ZITADEL requires both names; a schema without them gets the user name (the full traits are kept).
    profile: { firstName: traitAt(traits, t.firstName) ?? userName, lastName: traitAt(traits, t.lastName) ?? userName },
    email: { email, isEmailVerified: verified('email', email) },
  };
  if (phone) user.phone = { phone, isPhoneVerified: verified('sms', phone) };

  const credentials = objectOr(body.credentials, 'credentials') ?? {};
  const kept: JsonObject = {};
  let plaintextPassword = false;
  const links: JsonObject[] = [];
  // Providers kept but not carried as user links (no such IdP): Kratos gets them back.
  const unlinked: string[] = [];
  for (const [type, raw] of Object.entries(credentials)) {
    const cred = objectOr(raw, `credentials.${type}`);
    if (!cred) continue;
    const config = objectOr(cred.config, `credentials.${type}.config`) ?? {};
    const { config: _c, type: _t, ...meta } = cred;
    if (!CARRIED.has(type)) {
      notes.push(`credentials.${type} is not carried: ZITADEL users have no ${type} credential`);
      continue;
    }
    if (type === 'password') {
      const hashed = optionalString(config.hashed_password, 'credentials.password.config.hashed_password');
      const plain = optionalString(config.password, 'credentials.password.config.password');
      if (hashed && plain) throw bad('credentials.password.config: give hashed_password or password, not both');
      if (hashed) user.hashedPassword = { value: hashed };
      if (plain) {
        user.password = plain;
        plaintextPassword = true;
      }
      const { hashed_password: _h, password: _p, ...rest } = config;
      kept.password = { ...meta, config: rest };
    } else if (type === 'totp') {
      const url = optionalString(config.totp_url, 'credentials.totp.config.totp_url');
      if (!url) continue;
      const { secret, template } = splitTotpUrl(url);
      user.otpCode = secret;
      const { totp_url: _u, ...rest } = config;
      kept.totp = { ...meta, config: { ...rest, totp_url_template: template } };
    } else {
      const providers = arrayOf(config.providers, 'credentials.oidc.config.providers').map((p, i) => {
        const provider = optionalString(p.provider, `credentials.oidc.config.providers[${i}].provider`);
        const subject = optionalString(p.subject, `credentials.oidc.config.providers[${i}].subject`);
        if (!provider || !subject) throw bad(`credentials.oidc.config.providers[${i}] needs provider and subject`);
        const idpId = idpIdOf(ctx.mapping, provider);
        if (!ctx.linkable || ctx.linkable(idpId, orgId)) {
          links.push({ userId: id, idpId, providedUserId: subject, providedUserName: userName });
        } else {
          unlinked.push(oidcKey(provider, subject));
          notes.push(
            `credentials.oidc provider ${provider}: not carried as a user link (organization ${orgId} has no identity provider ${idpId}); kept in ${KRATOS_METADATA_KEY}`,
          );
        }
        const out: JsonObject = {};
        for (const [k, v] of Object.entries(p)) {
          if (!OIDC_TOKENS.includes(k)) {
            out[k] = v;
            continue;
          }
          // The key stays (Kratos lists it, empty when it has none), the token does not.
          out[k] = '';
          if (v) notes.push(`credentials.oidc provider ${provider}: ${k} is not carried (ZITADEL user links keep no tokens)`);
        }
        return out;
      });
      const { providers: _p, ...rest } = config;
      kept.oidc = { ...meta, config: { ...rest, providers } };
    }
  }

  const extras: JsonObject = {
    schema_id: schemaId,
    traits,
    state_changed_at: optionalString(body.state_changed_at, 'state_changed_at') ?? now,
    verifiable_addresses: verifiable,
    recovery_addresses: recovery,
    metadata_public: body.metadata_public ?? null,
    metadata_admin: body.metadata_admin ?? null,
    organization_id: optionalString(body.organization_id, 'organization_id') ?? null,
    created_at: optionalString(body.created_at, 'created_at') ?? now,
    updated_at: optionalString(body.updated_at, 'updated_at') ?? now,
    credentials: kept,
  };
  if (unlinked.length > 0) extras.oidc_unlinked = unlinked;
  for (const key of ['schema_url', 'external_id', 'region'] as const) {
    const v = optionalString(body[key], key);
    if (v !== undefined) extras[key] = v;
  }
  return {
    id,
    orgId,
    humanUser: { userId: id, user, state: state === 'active' ? 'USER_STATE_ACTIVE' : 'USER_STATE_INACTIVE' },
    metadata: [{ id, key: KRATOS_METADATA_KEY, value: Buffer.from(JSON.stringify(extras)).toString('base64') }],
    links,
    plaintextPassword,
    notes,
  };
}

/** The placeholder that stands for the secret in a kept TOTP URL. */
export const TOTP_SECRET_SLOT = '{secret}';

/**
 * Splits an `otpauth://totp/…?secret=…` URL (Google Authenticator's Key Uri Format, which Kratos
 * stores as `totp_url`) into the secret and the rest, so the secret goes to the OTP store and the
 * issuer and account name survive the round trip.
 */
export function splitTotpUrl(url: string): { secret: string; template: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw bad('credentials.totp.config.totp_url is not a URL');
  }
  if (parsed.protocol !== 'otpauth:') throw bad('credentials.totp.config.totp_url must be an otpauth:// URL');
  const match = /([?&]secret=)([^&#]*)/i.exec(url);
  const secret = match ? decodeURIComponent(match[2] ?? '') : '';
  if (!match || !secret) throw bad('credentials.totp.config.totp_url has no secret');
  const start = match.index + (match[1] ?? '').length;
  return { secret, template: url.slice(0, start) + TOTP_SECRET_SLOT + url.slice(start + (match[2] ?? '').length) };
}

/** The kept Kratos fields of a user, from its metadata items (undefined for a user that never was a Kratos identity). */
export function keptKratosFields(metadata: readonly JsonObject[]): JsonObject | undefined {
  const item = metadata.find((m) => m.key === KRATOS_METADATA_KEY);
  if (!item || typeof item.value !== 'string') return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(item.value, 'base64').toString('utf8')) as Json;
    return isJsonObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
