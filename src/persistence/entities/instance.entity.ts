import { defineEntity, p } from '@mikro-orm/core';
import { createdAt } from './columns.js';

/** One row per idport instance: remembers what first start created, so restarts are idempotent. */
export const InstanceSchema = defineEntity({
  name: 'Instance',
  tableName: 'instance',
  properties: {
    id: p.string().length(32).primary(),
    defaultOrgId: p.string().length(64),
    adminUserId: p.string().length(64),
    createdAt: createdAt(),
  },
});
export class Instance extends InstanceSchema.class {}
InstanceSchema.setClass(Instance);
