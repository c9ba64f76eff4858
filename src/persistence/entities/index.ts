import { MemberSchema, UserGrantSchema } from './access.entity.js';
import { ActionSchema, IdpSchema, TriggerActionSchema } from './action.entity.js';
import { InstanceSchema } from './instance.entity.js';
import { AuditEventSchema, JobSchema, JobStepSchema } from './job.entity.js';
import { OrgDomainSchema, OrgSchema, OrgSettingSchema } from './org.entity.js';
import { AppKeySchema, AppSchema, ProjectGrantSchema, ProjectRoleSchema, ProjectSchema } from './project.entity.js';
import { MachineKeySchema, PatSchema, UserLinkSchema, UserMetadataSchema, UserSchema, UserSecretSchema } from './user.entity.js';

export const entities = [
  InstanceSchema,
  OrgSchema,
  OrgDomainSchema,
  OrgSettingSchema,
  IdpSchema,
  UserSchema,
  UserSecretSchema,
  UserMetadataSchema,
  UserLinkSchema,
  MachineKeySchema,
  PatSchema,
  ProjectSchema,
  ProjectRoleSchema,
  AppSchema,
  AppKeySchema,
  ProjectGrantSchema,
  ActionSchema,
  TriggerActionSchema,
  MemberSchema,
  UserGrantSchema,
  JobSchema,
  JobStepSchema,
  AuditEventSchema,
];
