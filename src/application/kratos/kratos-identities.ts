import { DomainError, invalidArgument, isDomainError, notFound } from '../../domain/errors.js';
import { isJsonObject, type Json, type JsonObject } from '../../domain/json.js';
import type { Ref } from '../../domain/resources/kinds.js';
import { zitadelToKratos } from '../convert/kratos-export.js';
import { type ConvertedIdentity, idpIdOf, kratosToZitadel } from '../convert/kratos-identity.js';
import type { KratosMapping } from '../convert/kratos-traits.js';
import type { ImportCommand } from '../import/import-data.js';
import type { ImportReport, ItemResult } from '../import/import-report.js';
import type { Clock, DirectoryStore, HumanUserReader, ResourceTransactions, StoredHumanUser } from '../ports.js';
import { mergeCredentials, patchIdentityDocument, removeCredential } from './identity-patch.js';

/**
 * Kratos' batch limits (ory/kratos `identity/handler.go`: BatchPatchIdentitiesLimit = 1000,
 * BatchPatchIdentitiesWithPasswordLimit = 200): plaintext passwords are hashed inside the request,
 * so fewer of them fit in one. Over either limit, the whole request is refused before any work.
 */
export const KRATOS_BATCH_LIMITS = { identities: 1000, plaintextPasswords: 200 } as const;

/** One identity's outcome: its id, or Kratos' error status and reason. */
export type IdentityOutcome =
  | { ok: true; id: string; notes: string[] }
  | { ok: false; status: 400 | 403 | 404 | 409; reason: string; notes: string[]; detail?: string };

/** Every credential type idport holds, configs included (what PUT and PATCH work on). */
const ALL_CREDENTIALS: ReadonlySet<string> = new Set(['password', 'oidc', 'totp']);

export interface KratosIdentityDeps {
  importData(cmd: ImportCommand): Promise<ImportReport>;
  users: HumanUserReader;
  directory: Pick<DirectoryStore, 'getInstance' | 'getOrg' | 'getUser' | 'removeUser'>;
  /** Looks up which identity providers exist (a user link must name one; issue 8). */
  tx: Pick<ResourceTransactions, 'write'>;
  mapping: KratosMapping;
  clock: Clock;
  newId(): string;
}

/** Importer messages that mean "something with this id or name exists": Kratos answers 409. */
const CONFLICTS = /IMPORT-(conflict|unique|other-org|duplicate)|DB-unique/;

const failure = (status: 400 | 403 | 404 | 409, reason: string, notes: string[] = []): IdentityOutcome => ({
  ok: false,
  status,
  reason,
  notes,
});

/**
 * Kratos' admin identity operations on idport's store. Writes go through the same importer
 * as ZITADEL's ImportData (same validation, hashing of plaintext passwords, conflict rules).
 */
export function createKratosIdentities(deps: KratosIdentityDeps) {
  async function defaultOrgId(): Promise<string> {
    const instance = await deps.directory.getInstance();
    if (!instance) throw new DomainError('FailedPrecondition', 'KRATOS-no-instance', 'instance is not initialised');
    return instance.defaultOrgId;
  }

  /**
   * The `idp:id@org` keys of the IdPs the bodies' OIDC providers map to that exist. A provider
   * with none stays in the kept Kratos data and is reported, instead of failing the identity.
   * Malformed bodies are skipped here; the converter rejects them with the field named.
   */
  async function existingIdps(bodies: readonly Json[], defaultOrg: string, signal: AbortSignal): Promise<Set<string>> {
    const refs: Ref[] = [];
    for (const b of bodies) {
      if (!isJsonObject(b) || !isJsonObject(b.credentials) || !isJsonObject(b.credentials.oidc)) continue;
      const config = b.credentials.oidc.config;
      if (!isJsonObject(config) || !Array.isArray(config.providers)) continue;
      const org = typeof b.organization_id === 'string' && b.organization_id !== '' ? b.organization_id : defaultOrg;
      for (const p of config.providers) {
        if (isJsonObject(p) && typeof p.provider === 'string') refs.push({ kind: 'idp', id: idpIdOf(deps.mapping, p.provider), org });
      }
    }
    if (refs.length === 0) return new Set();
    // A rolled-back transaction: the importer's own reference lookup, nothing written.
    return deps.tx.write(signal, { rollback: true }, (w) => w.existingRefs(refs));
  }

  function convert(body: Json, orgId: string, idps: ReadonlySet<string>): ConvertedIdentity | IdentityOutcome {
    try {
      return kratosToZitadel(body, {
        mapping: deps.mapping,
        defaultOrgId: orgId,
        newId: deps.newId,
        now: () => deps.clock.now(),
        linkable: (idpId, org) => idps.has(`idp:${idpId}@${org}`),
      });
    } catch (e) {
      if (isDomainError(e) && e.kind === 'InvalidArgument') return failure(400, e.message);
      throw e;
    }
  }

  /** Imports converted identities; one outcome per identity, in order. */
  async function write(items: ConvertedIdentity[], policy: 'fail' | 'overwrite', signal: AbortSignal): Promise<IdentityOutcome[]> {
    const orgs = new Map<string, JsonObject>();
    for (const c of items) {
      let org = orgs.get(c.orgId);
      if (!org) {
        org = { orgId: c.orgId, humanUsers: [], userMetadata: [], userLinks: [] };
        orgs.set(c.orgId, org);
      }
      (org.humanUsers as Json[]).push(c.humanUser);
      for (const m of c.metadata) (org.userMetadata as Json[]).push(m);
      for (const l of c.links) (org.userLinks as Json[]).push(l);
    }
    const report = await deps.importData({
      source: { kind: 'inline', orgs: orgs.values() },
      conflictPolicy: policy,
      dryRun: false,
      signal,
    });
    const byUser = new Map<string, ItemResult[]>();
    for (const r of report.results) {
      const userId = r.type === 'human_user' ? r.id : String((r.item.userId ?? r.item.id ?? '') as Json);
      if (!byUser.has(userId)) byUser.set(userId, []);
      byUser.get(userId)?.push(r);
    }
    const outcomes: IdentityOutcome[] = [];
    for (const c of items) {
      const results = byUser.get(c.id) ?? [];
      const user = results.find((r) => r.type === 'human_user');
      const broken = results.find((r) => r.outcome === 'failed' || r.outcome === 'skipped');
      if (!user || !broken) {
        outcomes.push(user ? { ok: true, id: c.id, notes: c.notes } : failure(400, 'identity was not imported', c.notes));
        continue;
      }
      // An identity is one unit: a user whose link or metadata could not be written is taken out again.
      if (user.outcome === 'created') await deps.directory.removeUser(c.id);
      const reason = broken.message ?? `${broken.type} ${broken.id} was not imported`;
      outcomes.push(failure(CONFLICTS.test(reason) ? 409 : 400, reason, c.notes));
    }
    return outcomes;
  }

  /** Writes a whole Kratos identity document over the stored user, in the org it lives in. */
  async function save(stored: StoredHumanUser, doc: JsonObject, signal: AbortSignal): Promise<IdentityOutcome> {
    // An organization_id kept from Kratos names the same org; the user does not move.
    const converted = convert(doc, stored.orgId, await existingIdps([doc], stored.orgId, signal));
    if (!('humanUser' in converted)) return converted;
    converted.orgId = stored.orgId;
    return (await write([converted], 'overwrite', signal))[0] ?? failure(400, 'identity was not updated');
  }

  async function view(id: string, include: ReadonlySet<string>): Promise<JsonObject | undefined> {
    const user = await deps.users.get(id, include.has('password') || include.has('totp'));
    return user ? zitadelToKratos(user, deps.mapping, include) : undefined;
  }

  return {
    /** POST and PATCH /admin/identities: outcomes in the order of `bodies`. */
    async create(
      bodies: readonly Json[],
      signal: AbortSignal,
      mayWriteIn: (orgId: string) => boolean = () => true,
    ): Promise<IdentityOutcome[]> {
      if (bodies.length > KRATOS_BATCH_LIMITS.identities) {
        throw invalidArgument(
          'KRATOS-batch-limit',
          `The maximum number of identities per request that can be created or deleted at once is ${KRATOS_BATCH_LIMITS.identities}.`,
        );
      }
      const orgId = await defaultOrgId();
      const idps = await existingIdps(bodies, orgId, signal);
      const converted = bodies.map((b) => convert(b, orgId, idps));
      const plaintext = converted.filter((c) => 'humanUser' in c && c.plaintextPassword).length;
      if (plaintext > KRATOS_BATCH_LIMITS.plaintextPasswords) {
        throw invalidArgument(
          'KRATOS-batch-limit',
          `The maximum number of identities per request that can be created with a plaintext password is ${KRATOS_BATCH_LIMITS.plaintextPasswords}.`,
        );
      }
      const orgExists = new Map<string, boolean>();
      const seen = new Set<string>();
      const outcomes: (IdentityOutcome | undefined)[] = [];
      const toWrite: { index: number; item: ConvertedIdentity }[] = [];
      for (const [index, c] of converted.entries()) {
        if (!('humanUser' in c)) {
          outcomes[index] = c;
          continue;
        }
        if (!mayWriteIn(c.orgId)) {
          outcomes[index] = failure(403, `creating identities in organization ${c.orgId} is not permitted`, c.notes);
          continue;
        }
        if (!orgExists.has(c.orgId)) orgExists.set(c.orgId, (await deps.directory.getOrg(c.orgId)) !== undefined);
        if (!orgExists.get(c.orgId)) {
          outcomes[index] = failure(400, `organization ${c.orgId} does not exist`, c.notes);
        } else if (seen.has(c.id)) {
          outcomes[index] = failure(409, `identity ${c.id} appears twice in this request`, c.notes);
        } else {
          seen.add(c.id);
          toWrite.push({ index, item: c });
        }
      }
      if (toWrite.length > 0) {
        const written = await write(
          toWrite.map((w) => w.item),
          'fail',
          signal,
        );
        toWrite.forEach((w, i) => {
          outcomes[w.index] = written[i];
        });
      }
      return outcomes.map((o) => o ?? failure(400, 'identity was not imported'));
    },

    /** GET /admin/identities/{id}. */
    get: view,

    /**
     * GET /admin/identities: one page in id order, without the `hide` ids (users the caller may
     * not see), and the id the next page starts after (absent on the last page).
     */
    async list(
      query: { pageSize: number; afterId?: string; orgId?: string; ids?: string[]; identifier?: string; hide?: ReadonlySet<string> },
      include: ReadonlySet<string>,
    ): Promise<{ items: JsonObject[]; nextAfter?: string }> {
      const { pageSize, hide, ...filter } = query;
      const users = await deps.users.list({ ...filter, limit: pageSize + 1 }, include.has('password') || include.has('totp'));
      const page = users.slice(0, pageSize);
      const items = page.filter((u) => !hide?.has(u.id)).map((u) => zitadelToKratos(u, deps.mapping, include));
      const last = page.at(-1)?.id;
      return { items, ...(users.length > pageSize && last !== undefined ? { nextAfter: last } : {}) };
    },

    /**
     * PUT /admin/identities/{id}: the full identity except credentials; given credentials are
     * merged as Kratos does (password and totp replaced, oidc providers added).
     */
    async update(id: string, body: Json, signal: AbortSignal): Promise<IdentityOutcome> {
      const stored = await deps.users.get(id, true);
      if (!stored) return failure(404, `identity ${id} does not exist`);
      if (!isJsonObject(body)) return failure(400, 'identity must be a JSON object');
      for (const key of Object.keys(body)) {
        if (!['schema_id', 'traits', 'state', 'metadata_public', 'metadata_admin', 'external_id', 'credentials', 'region'].includes(key)) {
          return failure(400, `json: unknown field "${key}"`);
        }
      }
      if (body.state === undefined || body.state === '') return failure(400, 'state is required');
      const current = zitadelToKratos(stored, deps.mapping, ALL_CREDENTIALS);
      const merged: JsonObject = {
        ...current,
        schema_id: body.schema_id ?? null,
        traits: body.traits ?? null,
        state: body.state,
        metadata_public: body.metadata_public ?? null,
        metadata_admin: body.metadata_admin ?? null,
        updated_at: deps.clock.now().toISOString(),
        credentials: mergeCredentials(current.credentials, body.credentials),
      };
      if (body.state !== current.state) merged.state_changed_at = deps.clock.now().toISOString();
      if (body.external_id !== undefined) merged.external_id = body.external_id;
      if (body.region !== undefined) merged.region = body.region;
      return save(stored, merged, signal);
    },

    /** PATCH /admin/identities/{id}: an RFC 6902 patch of the identity, credentials' configs included. */
    async patch(id: string, body: Json | undefined, signal: AbortSignal): Promise<IdentityOutcome> {
      const stored = await deps.users.get(id, true);
      if (!stored) return failure(404, `identity ${id} does not exist`);
      const current = zitadelToKratos(stored, deps.mapping, ALL_CREDENTIALS);
      const patched = patchIdentityDocument(current, body, deps.clock.now());
      if (!patched.ok) return { ...failure(400, patched.reason), ...(patched.detail ? { detail: patched.detail } : {}) };
      return save(stored, { ...patched.identity, updated_at: deps.clock.now().toISOString() }, signal);
    },

    /** DELETE /admin/identities/{id}/credentials/{type}. */
    async removeCredential(id: string, type: string, identifier: string, signal: AbortSignal): Promise<IdentityOutcome> {
      const stored = await deps.users.get(id, true);
      if (!stored) return failure(404, `identity ${id} does not exist`);
      const current = zitadelToKratos(stored, deps.mapping, ALL_CREDENTIALS);
      const removed = removeCredential(current, type, identifier);
      if (!removed.ok) return failure(removed.status, removed.reason);
      // A provider that became a user link is an IdP link in idport, which this API does not remove.
      const subject = identifier.slice(identifier.indexOf(':') + 1);
      if (type === 'oidc' && stored.links.some((l) => l.providedUserId === subject)) {
        return failure(400, `oidc credential ${identifier} is an identity provider link in idport; it cannot be deleted through this API`);
      }
      return save(stored, { ...removed.identity, updated_at: deps.clock.now().toISOString() }, signal);
    },

    /** DELETE /admin/identities/{id}. */
    async remove(id: string): Promise<void> {
      const user = await deps.directory.getUser(id);
      if (user?.type !== 'human') throw notFound('KRATOS-not-found', `identity ${id} does not exist`);
      await deps.directory.removeUser(id);
    },
  };
}

export type KratosIdentities = ReturnType<typeof createKratosIdentities>;
