import type { EntityManager } from '@mikro-orm/sql';
import type {
  DirectoryStore,
  NewMachineUser,
  OrgFilter,
  OrgSummary,
  PersonalAccessToken,
  TextMatch,
  UserSummary,
} from '../../application/ports.js';
import type { JsonObject } from '../../domain/json.js';
import { userNameScope } from '../../domain/user-name-scope.js';
import { Member } from '../entities/access.entity.js';
import { Instance } from '../entities/instance.entity.js';
import { Org, OrgDomain, OrgSetting } from '../entities/org.entity.js';
import { Pat, User } from '../entities/user.entity.js';
import { translateDbError } from './db-errors.js';

const INSTANCE_ID = 'default';
const IAM_SCOPE_ID = '';

function toUser(u: User): UserSummary {
  return { id: u.id, orgId: u.org.id, type: u.type as UserSummary['type'], userName: u.userName, state: u.state };
}

function toPat(p: Pat): PersonalAccessToken {
  return { id: p.id, userId: p.user.id, expiresAt: p.expiresAt, scopes: p.scopes, createdAt: p.createdAt };
}

/** Proto-JSON of a machine user as DataMachineUser carries it (defaults omitted, as protojson does). */
function machineUserPayload(u: NewMachineUser): JsonObject {
  const user: JsonObject = { userName: u.userName };
  if (u.name) user.name = u.name;
  if (u.description) user.description = u.description;
  if (u.accessTokenType && u.accessTokenType !== 'ACCESS_TOKEN_TYPE_BEARER') user.accessTokenType = u.accessTokenType;
  return { userId: u.id, user, state: 'USER_STATE_ACTIVE' };
}

// biome-ignore lint: the ORM's filter type is too generic to name here
function textCondition(m: TextMatch): any {
  const escaped = m.value.replace(/[%_\\]/g, '\\$&');
  const pattern = { equals: escaped, startsWith: `${escaped}%`, contains: `%${escaped}%`, endsWith: `%${escaped}` }[m.method];
  if (m.method === 'equals' && !m.ignoreCase) return m.value;
  return m.ignoreCase ? { $ilike: pattern } : { $like: pattern };
}

export function createDirectoryRepository(em: EntityManager): DirectoryStore {
  async function flush(what: string) {
    try {
      await em.flush();
    } catch (e) {
      throw translateDbError(e, what);
    }
  }

  return {
    async findTokenByHash(tokenHash) {
      const pat = await em.findOne(Pat, { tokenHash }, { populate: ['user'] });
      return pat ? { token: toPat(pat), user: toUser(pat.user) } : undefined;
    },

    async rolesOf(userId) {
      const rows = await em.find(Member, { user: userId, scope: { $in: ['iam', 'org'] } });
      const orgs = new Map<string, string[]>();
      let iam: string[] = [];
      for (const m of rows) {
        if (m.scope === 'iam') iam = m.roles;
        else orgs.set(m.scopeId, m.roles);
      }
      return { iam, orgs };
    },

    async getUser(userId) {
      const u = await em.findOne(User, { id: userId });
      return u ? toUser(u) : undefined;
    },

    async addMachineUser(u) {
      const policy = await em.findOne(OrgSetting, { org: u.orgId, kind: 'domain_policy', language: '' });
      em.create(User, {
        id: u.id,
        org: em.getReference(Org, u.orgId),
        type: 'machine',
        userName: u.userName,
        userNameScope: userNameScope(u.orgId, policy?.payload),
        state: 'USER_STATE_ACTIVE',
        payload: machineUserPayload(u),
      });
      await flush(`user ${u.userName}`);
    },

    async removeUser(userId) {
      const removed = await em.nativeDelete(User, { id: userId });
      return removed > 0;
    },

    async addToken(token, tokenHash) {
      em.create(Pat, {
        id: token.id,
        user: em.getReference(User, token.userId),
        tokenHash,
        expiresAt: token.expiresAt,
        scopes: token.scopes,
        createdAt: token.createdAt,
      });
      await flush(`token ${token.id}`);
    },

    async listTokens(userId, page) {
      const [items, total] = await em.findAndCount(
        Pat,
        { user: userId },
        { orderBy: { createdAt: page.asc ? 'asc' : 'desc', id: 'asc' }, offset: page.offset, limit: page.limit },
      );
      return { total, items: items.map(toPat) };
    },

    async removeToken(userId, tokenId) {
      return (await em.nativeDelete(Pat, { id: tokenId, user: userId })) > 0;
    },

    async pruneExpiredTokens(scope, now) {
      // jsonb containment: the scopes array holds `scope` (the table has no column for the kind).
      const result = await em
        .getConnection()
        .execute<{ affectedRows: number }>(
          'delete from "pat" where "expires_at" <= ? and "scopes" @> ?::jsonb',
          [now, JSON.stringify([scope])],
          'run',
          em.getTransactionContext(),
        );
      return result.affectedRows;
    },

    async iamMembers() {
      const rows = await em.find(Member, { scope: 'iam', scopeId: IAM_SCOPE_ID }, { populate: [] });
      return rows.map((m) => ({ userId: m.user.id, roles: m.roles }));
    },

    async setIamMember(userId, roles) {
      const existing = await em.findOne(Member, { scope: 'iam', scopeId: IAM_SCOPE_ID, user: userId });
      if (existing) {
        existing.roles = roles;
        await flush(`member ${userId}`);
        return 'updated';
      }
      const user = await em.findOneOrFail(User, { id: userId });
      em.create(Member, {
        scope: 'iam',
        scopeId: IAM_SCOPE_ID,
        user,
        orgId: user.org.id,
        roles,
        payload: { userId, roles },
      });
      await flush(`member ${userId}`);
      return 'created';
    },

    async setOrgMember(orgId, userId, roles) {
      await em.upsert(Member, {
        scope: 'org',
        scopeId: orgId,
        user: em.getReference(User, userId),
        orgId,
        roles,
        payload: { userId, roles },
      });
    },

    async getOrg(orgId) {
      const org = await em.findOne(Org, { id: orgId });
      return org ? (await toOrgs([org]))[0] : undefined;
    },

    async createOrg(org) {
      em.create(Org, { id: org.id, name: org.name, state: 'ORG_STATE_ACTIVE', payload: { org: { name: org.name } } });
      await flush(`org ${org.name}`);
    },

    async listOrgs(filter: OrgFilter) {
      const where: Record<string, unknown> = {};
      if (filter.idEquals) where.id = filter.idEquals;
      if (filter.state) where.state = filter.state;
      if (filter.name) where.name = textCondition(filter.name);
      if (filter.domain) {
        const domains = await em.find(OrgDomain, { domainName: textCondition(filter.domain) }, { fields: ['org'] });
        where.id = { $in: domains.map((d) => d.org.id) };
      }
      const [orgs, total] = await em.findAndCount(Org, where, {
        orderBy: { name: filter.asc ? 'asc' : 'desc', id: 'asc' },
        offset: filter.offset,
        limit: filter.limit,
      });
      return { total, items: await toOrgs(orgs) };
    },

    async getInstance() {
      const i = await em.findOne(Instance, { id: INSTANCE_ID });
      return i ? { defaultOrgId: i.defaultOrgId, adminUserId: i.adminUserId } : undefined;
    },

    async saveInstance(instance) {
      em.create(Instance, { id: INSTANCE_ID, ...instance });
      await flush('instance');
    },
  };

  async function toOrgs(orgs: Org[]): Promise<OrgSummary[]> {
    const primaries = orgs.length
      ? await em.getConnection().execute<{ org_id: string; domain_name: string }[]>(
          `select org_id, domain_name from org_domain where org_id in (${orgs.map(() => '?').join(',')}) and (payload->>'isPrimary')::boolean`,
          orgs.map((o) => o.id),
        )
      : [];
    const primary = new Map(primaries.map((r) => [r.org_id, r.domain_name]));
    return orgs.map((o) => ({
      id: o.id,
      name: o.name,
      state: o.state,
      primaryDomain: primary.get(o.id) ?? '',
      createdAt: o.createdAt,
      changedAt: o.changedAt,
    }));
  }
}
