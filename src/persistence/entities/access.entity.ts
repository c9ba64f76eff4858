import { defineEntity, p } from '@mikro-orm/core';
import { payload } from './columns.js';
import { User } from './user.entity.js';

/**
 * Memberships with roles, for every scope: the instance (scope_id ''), an org, a project or a
 * project grant. One table keeps "what roles does this user hold" a single indexed lookup.
 */
export const MemberSchema = defineEntity({
  name: 'Member',
  tableName: 'member',
  properties: {
    scope: p.string().length(16).primary(),
    scopeId: p.string().length(140).primary(),
    user: () => p.manyToOne(User).deleteRule('cascade').fieldName('user_id').primary(),
    orgId: p.string().length(64),
    roles: p.json<string[]>(),
    payload: payload(),
  },
  primaryKeys: ['scope', 'scopeId', 'user'],
  indexes: [{ name: 'member_export', properties: ['orgId', 'scope', 'scopeId', 'user'] }],
});
export class Member extends MemberSchema.class {}
MemberSchema.setClass(Member);

/** A user's authorization on a project (or on a project grant), with role keys. */
export const UserGrantSchema = defineEntity({
  name: 'UserGrant',
  tableName: 'user_grant',
  properties: {
    id: p.string().length(200).primary(),
    user: () => p.manyToOne(User).deleteRule('cascade').fieldName('user_id').index(),
    projectId: p.string().length(64).index(),
    orgId: p.string().length(64),
    payload: payload(),
  },
  indexes: [{ name: 'user_grant_export', properties: ['orgId', 'id'] }],
});
export class UserGrant extends UserGrantSchema.class {}
UserGrantSchema.setClass(UserGrant);
