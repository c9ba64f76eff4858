import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { isJsonObject, type Json, type JsonObject } from '../../domain/json.js';

/**
 * What Kratos' `PATCH /admin/identities/{id}` (patchIdentity) does to the identity document
 * before it is saved, after ory/kratos `identity/handler.go` (patch) and `oryx/jsonx/patch.go`
 * (ApplyJSONPatch). RFC 6902 itself is fast-json-patch's; the rules around it are Kratos':
 * - only `add`, `remove` and `replace` (jsonx's allow list; `move`, `copy`, `test` are refused);
 * - `/id`, `/credentials`, `/credentials/oidc/**` and `/credentials/saml/**` may not be touched
 *   (Kratos also lists `/stateChangedAt`, a path no identity JSON has);
 * - `replace` of a member that is absent adds it, and `add` creates missing parent objects
 *   (jsonx turns such replaces into adds and applies with EnsurePathExistsOnAdd);
 * - each credential's `type` must equal its key (ValidateCredentialsIntegrity);
 * - a changed `state` must be `active` or `inactive` and stamps `state_changed_at`.
 */
const ALLOWED_OPS = new Set(['add', 'remove', 'replace']);
const DENIED = [/^\/id$/, /^\/statechangedat$/, /^\/credentials$/, /^\/credentials\/(oidc|saml)(\/.*)?$/];

export type PatchResult = { ok: true; identity: JsonObject } | { ok: false; reason: string; detail?: string };

const refused = (detail: string): PatchResult => ({ ok: false, reason: 'failed to apply JSON patch', detail });

/** Applies `body` (a JSON Patch document) to `current`, which is not changed. */
export function patchIdentityDocument(current: JsonObject, body: Json | undefined, now: Date): PatchResult {
  if (!Array.isArray(body)) return refused('the body must be a JSON Patch document (an array of operations)');
  const ops: Operation[] = [];
  for (const [i, raw] of body.entries()) {
    if (!isJsonObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      return refused(`operation ${i} needs string "op" and "path"`);
    }
    const { op: given, path } = raw;
    if (!ALLOWED_OPS.has(given)) return refused(`unsupported operation: ${given}`);
    if (DENIED.some((d) => d.test(path.toLowerCase()))) return refused(`patch includes denied path: ${path}`);
    if ((given === 'add' || given === 'replace') && !('value' in raw)) return refused(`operation ${i} (${given}) needs a "value"`);
    const op = given === 'replace' && !isElementAccess(path) ? 'add' : given;
    ops.push({ op, path, ...(op === 'remove' ? {} : { value: raw.value }) } as Operation);
  }
  const doc = fastJsonPatch.deepClone(current) as JsonObject;
  try {
    for (const op of ops) {
      if (op.op === 'add') ensureParents(doc, op.path);
      // validate: RFC 6902 checks (paths that exist for remove, well-formed pointers);
      // banPrototypeModifications keeps `__proto__` paths out.
      fastJsonPatch.applyOperation(doc, op, true, true, true);
    }
  } catch (e) {
    return refused(e instanceof Error ? e.message.split('\n')[0] || 'invalid patch' : 'invalid patch');
  }
  const credentials = doc.credentials;
  if (credentials !== undefined && credentials !== null) {
    if (!isJsonObject(credentials)) return { ok: false, reason: 'credentials must be an object' };
    for (const [key, cred] of Object.entries(credentials)) {
      const type = isJsonObject(cred) ? cred.type : undefined;
      if (type !== key) return { ok: false, reason: `credentials.${key}.type must equal "${key}", got "${String(type ?? '')}"` };
    }
  }
  if (doc.state !== current.state) {
    if (doc.state !== 'active' && doc.state !== 'inactive') {
      return { ok: false, reason: `The supplied state ('${String(doc.state)}') was not valid. Valid states are ('active', 'inactive').` };
    }
    doc.state_changed_at = now.toISOString();
  }
  doc.id = current.id ?? null;
  return { ok: true, identity: doc };
}

/** jsonx's isElementAccess: the last segment is an array index or `-`. */
function isElementAccess(path: string): boolean {
  const last = path.split('/').at(-1) ?? '';
  return last === '-' || /^\d+$/.test(last);
}

/** EnsurePathExistsOnAdd: missing objects on the way to an `add` are created. */
function ensureParents(doc: JsonObject, path: string): void {
  const segments = path
    .split('/')
    .slice(1, -1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let at: Json = doc;
  for (const s of segments) {
    if (s === '__proto__' || s === 'constructor' || s === 'prototype') return;
    if (Array.isArray(at)) {
      at = at[Number(s)] ?? null;
    } else if (isJsonObject(at)) {
      if (at[s] === undefined || at[s] === null) at[s] = {};
      at = at[s] as Json;
    } else {
      return;
    }
  }
}

/**
 * PUT's credential merge (ory/kratos `updateIdentity` docs): password and totp replaced, oidc
 * providers added to those there are.
 */
export function mergeCredentials(current: Json | undefined, given: Json | undefined): JsonObject {
  const out: JsonObject = isJsonObject(current) ? { ...current } : {};
  if (!isJsonObject(given)) return out;
  for (const [type, cred] of Object.entries(given)) {
    if (type !== 'oidc' || !isJsonObject(out.oidc) || !isJsonObject(cred)) {
      out[type] = cred;
      continue;
    }
    const before = isJsonObject(out.oidc.config) && Array.isArray(out.oidc.config.providers) ? out.oidc.config.providers : [];
    const added = isJsonObject(cred.config) && Array.isArray(cred.config.providers) ? cred.config.providers : [];
    const key = (p: Json) => (isJsonObject(p) ? `${String(p.provider)}:${String(p.subject)}` : '');
    const providers = [...before, ...added.filter((p) => !before.some((b) => key(b) === key(p)))];
    out.oidc = { ...out.oidc, config: { ...(isJsonObject(out.oidc.config) ? out.oidc.config : {}), providers } };
  }
  return out;
}

export type CredentialRemoval = { ok: true; identity: JsonObject } | { ok: false; status: 400 | 404; reason: string };

/** First-factor credential types (ory/kratos `CountActiveFirstFactorCredentials`) idport can hold. */
const FIRST_FACTORS = ['password', 'oidc', 'saml'];

/**
 * `DELETE /admin/identities/{id}/credentials/{type}` on the identity document, after ory/kratos
 * `identity/handler.go` (deleteIdentityCredentials) and `identity.go`
 * (deleteCredentialOIDCSAMLFromIdentity), with Kratos' reasons: totp and lookup_secret go; a
 * first factor (password, one oidc provider) goes unless it is the last one; other types are 400.
 */
export function removeCredential(current: JsonObject, type: string, identifier: string): CredentialRemoval {
  const credentials = isJsonObject(current.credentials) ? current.credentials : {};
  const cred = credentials[type];
  if (!isJsonObject(cred)) {
    return { ok: false, status: 404, reason: `You tried to remove a ${type} but this user have no ${type} set up.` };
  }
  const rest: JsonObject = { ...credentials };
  if (type === 'totp' || type === 'lookup_secret') {
    delete rest[type];
    return { ok: true, identity: { ...current, credentials: rest } };
  }
  if (!FIRST_FACTORS.includes(type)) return { ok: false, status: 400, reason: `Credentials type ${type} cannot be deleted.` };
  const firstFactors = FIRST_FACTORS.reduce((n, t) => n + providersOf(credentials[t], t).length, 0);
  if (firstFactors < 2) return { ok: false, status: 400, reason: 'You cannot remove the last first factor credential.' };
  if (type === 'password') {
    delete rest.password;
    return { ok: true, identity: { ...current, credentials: rest } };
  }
  if (identifier === '') return { ok: false, status: 400, reason: 'You must provide an identifier to delete this credential.' };
  const providers = providersOf(cred, type).filter(isJsonObject);
  const kept = providers.filter((p) => `${String(p.provider)}:${String(p.subject)}` !== identifier);
  if (kept.length === providers.length) {
    return { ok: false, status: 404, reason: `The identifier \`${identifier}\` was not found among OIDC credentials.` };
  }
  const config = isJsonObject(cred.config) ? cred.config : {};
  const identifiers = kept.map((p) => `${String(p.provider)}:${String(p.subject)}`);
  if (kept.length === 0) delete rest[type];
  else rest[type] = { ...cred, identifiers, config: { ...config, providers: kept } };
  return { ok: true, identity: { ...current, credentials: rest } };
}

/** A password counts once; oidc and saml once per provider. */
function providersOf(cred: Json | undefined, type: string): Json[] {
  if (!isJsonObject(cred)) return [];
  if (type === 'password') return [cred];
  return isJsonObject(cred.config) && Array.isArray(cred.config.providers) ? cred.config.providers : [];
}
