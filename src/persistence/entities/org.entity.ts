import { defineEntity, p } from '@mikro-orm/core';
import { payload, timestamps } from './columns.js';

export const OrgSchema = defineEntity({
  name: 'Org',
  tableName: 'org',
  properties: {
    id: p.string().length(64).primary(),
    name: p.string().length(200),
    state: p.string().length(32),
    /** The canonical proto-JSON of the org's DataOrg entry head (org + orgState). */
    payload: payload(),
    ...timestamps(),
  },
  uniques: [{ name: 'org_name_unique', expression: 'create unique index org_name_unique on org (lower(name))' }],
});
export class Org extends OrgSchema.class {}
OrgSchema.setClass(Org);

const orgChild = {
  org: () => p.manyToOne(Org).deleteRule('cascade').fieldName('org_id').primary(),
};

export const OrgDomainSchema = defineEntity({
  name: 'OrgDomain',
  tableName: 'org_domain',
  properties: {
    ...orgChild,
    domainName: p.string().length(253).primary(),
    isVerified: p.boolean(),
    payload: payload(),
  },
  primaryKeys: ['org', 'domainName'],
  // A verified domain belongs to one org of the instance (ZITADEL's rule for login names).
  uniques: [
    {
      name: 'org_domain_verified_unique',
      expression: 'create unique index org_domain_verified_unique on org_domain (lower(domain_name)) where is_verified',
    },
  ],
});
export class OrgDomain extends OrgDomainSchema.class {}
OrgDomainSchema.setClass(OrgDomain);

/** Org-level singletons (policies) and per-language custom texts, keyed by kind and language. */
export const OrgSettingSchema = defineEntity({
  name: 'OrgSetting',
  tableName: 'org_setting',
  properties: {
    ...orgChild,
    kind: p.string().length(64).primary(),
    language: p.string().length(32).primary(),
    payload: payload(),
  },
  primaryKeys: ['org', 'kind', 'language'],
});
export class OrgSetting extends OrgSettingSchema.class {}
OrgSettingSchema.setClass(OrgSetting);
