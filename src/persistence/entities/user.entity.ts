import { defineEntity, p } from '@mikro-orm/core';
import { createdAt, payload, timestamps } from './columns.js';
import { Org } from './org.entity.js';

/** Human and machine users share one table: ids and login names are unique across both. */
export const UserSchema = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.string().length(64).primary(),
    org: () => p.manyToOne(Org).deleteRule('cascade').fieldName('org_id'),
    type: p.string().length(16),
    userName: p.string().length(200),
    /** '' when the name must be unique in the whole instance, else the org id (see user-name-scope.ts). */
    userNameScope: p.string().length(64),
    state: p.string().length(32),
    payload: payload(),
    ...timestamps(),
  },
  uniques: [
    {
      name: 'users_user_name_unique',
      expression: 'create unique index users_user_name_unique on users (user_name_scope, lower(user_name))',
    },
  ],
  indexes: [{ name: 'users_export', properties: ['org', 'id'] }],
});
export class User extends UserSchema.class {}
UserSchema.setClass(User);

const userChild = {
  user: () => p.manyToOne(User).deleteRule('cascade').fieldName('user_id').index(),
};

/**
 * Password hashes and OTP secrets live apart from the user row so only the privileged
 * reader (export with_passwords / with_otp) ever selects them.
 */
export const UserSecretSchema = defineEntity({
  name: 'UserSecret',
  tableName: 'user_secret',
  properties: {
    user: () => p.manyToOne(User).deleteRule('cascade').fieldName('user_id').primary(),
    passwordHash: p.text().nullable(),
    otpSecret: p.text().nullable(),
  },
});
export class UserSecret extends UserSecretSchema.class {}
UserSecretSchema.setClass(UserSecret);

export const UserMetadataSchema = defineEntity({
  name: 'UserMetadata',
  tableName: 'user_metadata',
  properties: {
    user: () => p.manyToOne(User).deleteRule('cascade').fieldName('user_id').primary(),
    key: p.string().length(200).primary(),
    orgId: p.string().length(64),
    payload: payload(),
  },
  primaryKeys: ['user', 'key'],
  indexes: [{ name: 'user_metadata_export', properties: ['orgId', 'user', 'key'] }],
});
export class UserMetadata extends UserMetadataSchema.class {}
UserMetadataSchema.setClass(UserMetadata);

export const UserLinkSchema = defineEntity({
  name: 'UserLink',
  tableName: 'user_link',
  properties: {
    idpId: p.string().length(64).primary(),
    providedUserId: p.string().length(200).primary(),
    ...userChild,
    orgId: p.string().length(64),
    payload: payload(),
  },
  primaryKeys: ['idpId', 'providedUserId'],
  indexes: [{ name: 'user_link_export', properties: ['orgId', 'idpId', 'providedUserId'] }],
});
export class UserLink extends UserLinkSchema.class {}
UserLinkSchema.setClass(UserLink);

/** Public key material of a machine user's key; the private key never reaches idport. */
export const MachineKeySchema = defineEntity({
  name: 'MachineKey',
  tableName: 'machine_key',
  properties: {
    id: p.string().length(64).primary(),
    ...userChild,
    orgId: p.string().length(64),
    payload: payload(),
  },
  indexes: [{ name: 'machine_key_export', properties: ['orgId', 'id'] }],
});
export class MachineKey extends MachineKeySchema.class {}
MachineKeySchema.setClass(MachineKey);

/** Personal access tokens: only a SHA-256 of the token is kept (tokens are 256-bit random). */
export const PatSchema = defineEntity({
  name: 'Pat',
  tableName: 'pat',
  properties: {
    id: p.string().length(64).primary(),
    ...userChild,
    tokenHash: p.string().length(64).unique(),
    expiresAt: p.datetime(),
    scopes: p.json<string[]>(),
    createdAt: createdAt(),
  },
});
export class Pat extends PatSchema.class {}
PatSchema.setClass(Pat);
