import { isJsonObject, type Json, type JsonObject, stringAt } from '../../domain/json.js';
import type { StoredHumanUser } from '../ports.js';
import { keptKratosFields, oidcKey, TOTP_SECRET_SLOT } from './kratos-identity.js';
import { hasTrait, type KratosMapping, traitAt, withTrait } from './kratos-traits.js';

/** Credential types `include_credential` may name (ory/kratos `identity/credentials.go`). */
export const CREDENTIAL_TYPES = [
  'password',
  'oidc',
  'totp',
  'lookup_secret',
  'webauthn',
  'code',
  'passkey',
  'profile',
  'saml',
  'deviceauthn',
  'identifier_first',
  'link_recovery',
  'code_recovery',
] as const;

const asObject = (v: Json | undefined): JsonObject => (isJsonObject(v) ? v : {});

/**
 * ZITADEL human user → Kratos `identity` (ory/kratos `spec/api.json`). A user imported from
 * Kratos comes back with the fields it came with (kept in its `kratos.identity` metadata), the
 * ZITADEL-side facts (state, email, names, links, secrets) laid over them; a user that never was
 * a Kratos identity gets traits built from the trait mapping and schema `default`.
 * Credentials carry their `config` (hashes, TOTP URL) only for the types in `include`.
 */
export function zitadelToKratos(u: StoredHumanUser, mapping: KratosMapping, include: ReadonlySet<string>): JsonObject {
  const kept = keptKratosFields(u.metadata);
  const user = asObject(u.item.user);
  const t = mapping.traits;
  const current = {
    userName: stringAt(user, 'userName'),
    email: stringAt(user, 'email.email'),
    firstName: stringAt(user, 'profile.firstName'),
    lastName: stringAt(user, 'profile.lastName'),
    phone: stringAt(user, 'phone.phone'),
  };

  let traits: JsonObject;
  if (kept && isJsonObject(kept.traits)) {
    // What ZITADEL holds wins where the traits have the field: a change made in idport shows.
    traits = kept.traits;
    for (const [path, value] of [
      [t.email, current.email],
      [t.firstName, current.firstName],
      [t.lastName, current.lastName],
      [t.phone, current.phone],
    ] as const) {
      if (value && hasTrait(traits, path) && traitAt(traits, path) !== value) traits = withTrait(traits, path, value);
    }
    const namePath = t.userName.find((p) => hasTrait(traits, p));
    if (namePath && current.userName && traitAt(traits, namePath) !== current.userName)
      traits = withTrait(traits, namePath, current.userName);
  } else {
    traits = {};
    if (current.email) traits = withTrait(traits, t.email, current.email);
    if (current.userName && current.userName !== current.email && t.userName[0])
      traits = withTrait(traits, t.userName[0], current.userName);
    if (current.firstName) traits = withTrait(traits, t.firstName, current.firstName);
    if (current.lastName) traits = withTrait(traits, t.lastName, current.lastName);
    if (current.phone) traits = withTrait(traits, t.phone, current.phone);
  }

  const state = stringAt(u.item, 'state');
  const identity: JsonObject = {
    id: u.id,
    credentials: credentialsOf(u, kept, include, current.userName || current.email),
    schema_id: typeof kept?.schema_id === 'string' ? kept.schema_id : 'default',
    schema_url: typeof kept?.schema_url === 'string' ? kept.schema_url : '',
    state: state === '' || state === 'USER_STATE_ACTIVE' || state === 'USER_STATE_INITIAL' ? 'active' : 'inactive',
    state_changed_at: typeof kept?.state_changed_at === 'string' ? kept.state_changed_at : u.changedAt.toISOString(),
    traits,
    verifiable_addresses: Array.isArray(kept?.verifiable_addresses) ? kept.verifiable_addresses : verifiableFrom(user, current),
    recovery_addresses: Array.isArray(kept?.recovery_addresses) ? kept.recovery_addresses : [],
    metadata_public: kept?.metadata_public ?? null,
    metadata_admin: kept?.metadata_admin ?? null,
    created_at: typeof kept?.created_at === 'string' ? kept.created_at : u.createdAt.toISOString(),
    updated_at: typeof kept?.updated_at === 'string' ? kept.updated_at : u.changedAt.toISOString(),
    organization_id: typeof kept?.organization_id === 'string' ? kept.organization_id : null,
  };
  for (const key of ['external_id', 'region'] as const) if (typeof kept?.[key] === 'string') identity[key] = kept[key];
  return identity;
}

function verifiableFrom(user: JsonObject, current: { email: string; phone: string }): JsonObject[] {
  const out: JsonObject[] = [];
  const address = (value: string, via: string, verified: boolean): JsonObject => ({
    value: value.toLowerCase(),
    verified,
    via,
    status: verified ? 'completed' : 'pending',
  });
  if (current.email) out.push(address(current.email, 'email', asObject(user.email).isEmailVerified === true));
  if (current.phone) out.push(address(current.phone, 'sms', asObject(user.phone).isPhoneVerified === true));
  return out;
}

function credentialsOf(u: StoredHumanUser, kept: JsonObject | undefined, include: ReadonlySet<string>, identifier: string): JsonObject {
  const keptCreds = asObject(kept?.credentials);
  const out: JsonObject = {};
  const emit = (type: string, fallbackIdentifiers: string[], config: JsonObject | undefined) => {
    const meta = { ...asObject(keptCreds[type]) };
    delete meta.config;
    const cred: JsonObject = { type, identifiers: fallbackIdentifiers, version: 0, ...meta };
    if (include.has(type) && config) cred.config = config;
    out[type] = cred;
  };
  const secrets = u.secrets;
  const keptPassword = asObject(asObject(keptCreds.password).config);
  if (u.has.password) {
    emit(
      'password',
      [identifier.toLowerCase()],
      secrets?.passwordHash ? { ...keptPassword, hashed_password: secrets.passwordHash } : undefined,
    );
  }
  const keptOidc = asObject(asObject(keptCreds.oidc).config);
  const keptProviders = Array.isArray(keptOidc.providers) ? keptOidc.providers.filter(isJsonObject) : [];
  // Kept providers that never became links (no such IdP at import) come back as they were.
  const unlinked = new Set(Array.isArray(kept?.oidc_unlinked) ? kept.oidc_unlinked.filter((k) => typeof k === 'string') : []);
  const linkedSubjects = new Set(u.links.map((l) => stringAt(l, 'providedUserId')));
  // In the order Kratos had them: kept providers still linked or never linked, then new links.
  const providers: JsonObject[] = keptProviders.filter(
    (p) => unlinked.has(oidcKey(String(p.provider), String(p.subject))) || linkedSubjects.has(String(p.subject)),
  );
  for (const l of u.links) {
    const subject = stringAt(l, 'providedUserId');
    if (!keptProviders.some((p) => p.subject === subject)) providers.push({ subject, provider: stringAt(l, 'idpId') });
  }
  if (providers.length > 0) {
    emit(
      'oidc',
      providers.map((p) => oidcKey(stringAt(p, 'provider'), stringAt(p, 'subject'))),
      { ...keptOidc, providers },
    );
  }
  const keptTotp = asObject(asObject(keptCreds.totp).config);
  if (u.has.otp) {
    const template = typeof keptTotp.totp_url_template === 'string' ? keptTotp.totp_url_template : undefined;
    const { totp_url_template: _t, ...rest } = keptTotp;
    const url = secrets?.otpSecret
      ? template
        ? template.replace(TOTP_SECRET_SLOT, secrets.otpSecret)
        : `otpauth://totp/${encodeURIComponent(identifier)}?secret=${secrets.otpSecret}`
      : undefined;
    emit('totp', [u.id], url ? { ...rest, totp_url: url } : undefined);
  }
  return out;
}
