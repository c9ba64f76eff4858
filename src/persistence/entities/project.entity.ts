import { defineEntity, p } from '@mikro-orm/core';
import { payload } from './columns.js';
import { Org } from './org.entity.js';

const orgRef = { org: () => p.manyToOne(Org).deleteRule('cascade').fieldName('org_id') };

export const ProjectSchema = defineEntity({
  name: 'Project',
  tableName: 'project',
  properties: { id: p.string().length(64).primary(), ...orgRef, payload: payload() },
  indexes: [{ name: 'project_export', properties: ['org', 'id'] }],
});
export class Project extends ProjectSchema.class {}
ProjectSchema.setClass(Project);

const projectRef = { project: () => p.manyToOne(Project).deleteRule('cascade').fieldName('project_id').index() };

export const ProjectRoleSchema = defineEntity({
  name: 'ProjectRole',
  tableName: 'project_role',
  properties: {
    project: () => p.manyToOne(Project).deleteRule('cascade').fieldName('project_id').primary(),
    roleKey: p.string().length(200).primary(),
    orgId: p.string().length(64),
    payload: payload(),
  },
  primaryKeys: ['project', 'roleKey'],
  indexes: [{ name: 'project_role_export', properties: ['orgId', 'project', 'roleKey'] }],
});
export class ProjectRole extends ProjectRoleSchema.class {}
ProjectRoleSchema.setClass(ProjectRole);

/** OIDC and API applications of a project. */
export const AppSchema = defineEntity({
  name: 'App',
  tableName: 'app',
  properties: {
    id: p.string().length(64).primary(),
    ...projectRef,
    orgId: p.string().length(64),
    type: p.string().length(16),
    payload: payload(),
  },
  indexes: [{ name: 'app_export', properties: ['orgId', 'id'] }],
});
export class App extends AppSchema.class {}
AppSchema.setClass(App);

/** Public key material of an application key. */
export const AppKeySchema = defineEntity({
  name: 'AppKey',
  tableName: 'app_key',
  properties: {
    id: p.string().length(64).primary(),
    app: () => p.manyToOne(App).deleteRule('cascade').fieldName('app_id').index(),
    orgId: p.string().length(64),
    payload: payload(),
  },
  indexes: [{ name: 'app_key_export', properties: ['orgId', 'id'] }],
});
export class AppKey extends AppKeySchema.class {}
AppKeySchema.setClass(AppKey);

/** A project shared with another org (the granted org), limited to some role keys. */
export const ProjectGrantSchema = defineEntity({
  name: 'ProjectGrant',
  tableName: 'project_grant',
  properties: {
    id: p.string().length(64).primary(),
    ...projectRef,
    orgId: p.string().length(64),
    grantedOrgId: p.string().length(64).index(),
    payload: payload(),
  },
  indexes: [{ name: 'project_grant_export', properties: ['orgId', 'id'] }],
});
export class ProjectGrant extends ProjectGrantSchema.class {}
ProjectGrantSchema.setClass(ProjectGrant);
