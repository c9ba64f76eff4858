import { defineEntity, p } from '@mikro-orm/core';
import { payload } from './columns.js';
import { Org } from './org.entity.js';

const orgRef = { org: () => p.manyToOne(Org).deleteRule('cascade').fieldName('org_id') };

export const ActionSchema = defineEntity({
  name: 'Action',
  tableName: 'action',
  properties: { id: p.string().length(64).primary(), ...orgRef, payload: payload() },
  indexes: [{ name: 'action_export', properties: ['org', 'id'] }],
});
export class Action extends ActionSchema.class {}
ActionSchema.setClass(Action);

export const TriggerActionSchema = defineEntity({
  name: 'TriggerAction',
  tableName: 'trigger_action',
  properties: {
    org: () => p.manyToOne(Org).deleteRule('cascade').fieldName('org_id').primary(),
    flowType: p.string().length(64).primary(),
    triggerType: p.string().length(64).primary(),
    payload: payload(),
  },
  primaryKeys: ['org', 'flowType', 'triggerType'],
});
export class TriggerAction extends TriggerActionSchema.class {}
TriggerActionSchema.setClass(TriggerAction);

/** Org-owned identity providers (OIDC and JWT). */
export const IdpSchema = defineEntity({
  name: 'Idp',
  tableName: 'idp',
  properties: {
    id: p.string().length(64).primary(),
    ...orgRef,
    type: p.string().length(16),
    payload: payload(),
  },
  indexes: [{ name: 'idp_export', properties: ['org', 'id'] }],
});
export class Idp extends IdpSchema.class {}
IdpSchema.setClass(Idp);
