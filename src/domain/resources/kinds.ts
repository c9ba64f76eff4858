import { type JsonObject, stringAt, stringsAt } from '../json.js';

/**
 * Every resource an org carries in ZITADEL's DataOrg, as one table. Import, export and the
 * report all walk this list instead of repeating one code path per resource (ZITADEL's
 * import.go has ~25 near-identical functions; a copy-paste bug there files action ids under
 * project roles).
 *
 * A declared table: it is long because it has one row per kind, and is exempt from the
 * 300-line rule for that reason. Adding a kind is one row here; the compiler then names every
 * per-kind table (`satisfies Record<ResourceType, …>`) that must say something about it.
 */

/** Kinds other resources can point at. */
export type RefKind = 'org' | 'user' | 'project' | 'project_role' | 'app' | 'project_grant' | 'action' | 'idp';

/**
 * The kinds only ever referred to from inside their own org: an app's key, a trigger's action,
 * a user link's IdP (idport holds no instance-level IdPs). The import forgets them once their
 * org is done; a reference to one without `org` does not compile (see Ref), so a new row that
 * referred to one across orgs would have to change this list first.
 */
export const ORG_LOCAL_REF_KINDS = ['app', 'action', 'idp'] as const satisfies readonly RefKind[];
export type OrgLocalRefKind = (typeof ORG_LOCAL_REF_KINDS)[number];

/**
 * The org the referenced resource must belong to (`org`). ZITADEL keeps most references inside
 * their org (a machine key, metadata or link of this org's user; an app of this org's project);
 * only grants and members may point at users and orgs elsewhere, and leave it unset.
 */
export type Ref =
  | { kind: OrgLocalRefKind; id: string; org: string }
  | { kind: Exclude<RefKind, OrgLocalRefKind>; id: string; org?: string };

/** What a resource lets others refer to: of the org it is written to. */
export interface Provided {
  kind: RefKind;
  id: string;
}

/**
 * One resource kind. `T` is its ImportDataError.type; left out, it is any ResourceType (the
 * union of the registry's types below).
 */
export interface ResourceKind<T extends string = ResourceType> {
  /** ImportDataError.type, as ZITADEL reports it. */
  readonly type: T;
  /** JSON name of the field in zitadel.admin.v1.DataOrg. */
  readonly field: string;
  /** DataOrg field number: export writes fields in this order, as protojson does. */
  readonly fieldNumber: number;
  /** false for the per-org singletons (policies). */
  readonly repeated: boolean;
  /**
   * ZITADEL imports in three passes over all orgs: org-local resources, then cross-org
   * grants, then members. A later pass can refer to any org created by an earlier one.
   */
  readonly pass: 1 | 2 | 3;
  /** The composite id reported for this resource (ZITADEL's format). */
  id(item: JsonObject, orgId: string): string;
  /** What must exist before this resource can. */
  refs(item: JsonObject, orgId: string): Ref[];
  /** What this resource, once present, lets others refer to. */
  provides?(item: JsonObject, orgId: string): Provided[];
  /** The fields that name this resource in a report (ZITADEL's success lists). */
  readonly summary: readonly string[];
  /** Org settings: one policy per org, or one custom text per org and language. */
  readonly setting?: 'policy' | 'text';
}

const orgRef = (orgId: string): Ref[] => [{ kind: 'org', id: orgId }];
const userRef = (id: string, org?: string): Ref => (org === undefined ? { kind: 'user', id } : { kind: 'user', id, org });
const projectRef = (id: string, org?: string): Ref => (org === undefined ? { kind: 'project', id } : { kind: 'project', id, org });

/** Keeps a kind's `type` as its literal, so ResourceType can be derived from the registry. */
const kind = <T extends string>(k: ResourceKind<T>): ResourceKind<T> => k;

/** An org setting's kind; `setting` typed as set, so SettingType can pick these out of the registry. */
type SettingKind<T extends string, S extends 'policy' | 'text'> = ResourceKind<T> & { readonly setting: S };

function policy<T extends string>(type: T, field: string, fieldNumber: number): SettingKind<T, 'policy'> {
  return {
    type,
    field,
    fieldNumber,
    repeated: false,
    pass: 1,
    summary: [],
    setting: 'policy',
    id: (_i, orgId) => orgId,
    refs: (_i, orgId) => orgRef(orgId),
  };
}

function text<T extends string>(type: T, field: string, fieldNumber: number): SettingKind<T, 'text'> {
  return {
    type,
    field,
    fieldNumber,
    repeated: true,
    pass: 1,
    summary: ['language'],
    setting: 'text',
    id: (i, orgId) => `${orgId}_${stringAt(i, 'language')}`,
    refs: (_i, orgId) => orgRef(orgId),
  };
}

function roleRefs(projectId: string, roleKeys: string[], org?: string): Ref[] {
  return roleKeys.map(
    (key): Ref =>
      org === undefined ? { kind: 'project_role', id: `${projectId}_${key}` } : { kind: 'project_role', id: `${projectId}_${key}`, org },
  );
}

/** The registry, in import order. The org head itself (orgId, org, orgState) is handled before these. */
const REGISTRY = [
  policy('domain_policy', 'domainPolicy', 4),
  kind({
    type: 'domain',
    field: 'domains',
    fieldNumber: 34,
    repeated: true,
    pass: 1,
    summary: ['domainName'],
    id: (i, orgId) => `${orgId}_${stringAt(i, 'domainName')}`,
    refs: (_i, orgId) => orgRef(orgId),
  }),
  policy('label_policy', 'labelPolicy', 5),
  policy('lockout_policy', 'lockoutPolicy', 6),
  kind({
    type: 'oidc_idp',
    field: 'oidcIdps',
    fieldNumber: 31,
    repeated: true,
    pass: 1,
    summary: ['idpId'],
    id: (i) => stringAt(i, 'idpId'),
    refs: (_i, orgId) => orgRef(orgId),
    provides: (i) => [{ kind: 'idp', id: stringAt(i, 'idpId') }],
  }),
  kind({
    type: 'jwt_idp',
    field: 'jwtIdps',
    fieldNumber: 32,
    repeated: true,
    pass: 1,
    summary: ['idpId'],
    id: (i) => stringAt(i, 'idpId'),
    refs: (_i, orgId) => orgRef(orgId),
    provides: (i) => [{ kind: 'idp', id: stringAt(i, 'idpId') }],
  }),
  policy('login_policy', 'loginPolicy', 7),
  policy('password_complexity_policy', 'passwordComplexityPolicy', 8),
  policy('privacy_policy', 'privacyPolicy', 9),
  text('login_texts', 'loginTexts', 24),
  text('init_message', 'initMessages', 25),
  text('password_reset_message', 'passwordResetMessages', 26),
  text('verify_email_message', 'verifyEmailMessages', 27),
  text('verify_phone_message', 'verifyPhoneMessages', 28),
  text('domain_claimed_message', 'domainClaimedMessages', 29),
  text('passwordless_registration_message', 'passwordlessRegistrationMessages', 30),
  text('verify_sms_otp_message', 'verifySmsOtpMessages', 37),
  text('verify_email_otp_message', 'verifyEmailOtpMessages', 38),
  text('invite_user_message', 'inviteUserMessages', 39),
  kind({
    type: 'human_user',
    field: 'humanUsers',
    fieldNumber: 14,
    repeated: true,
    pass: 1,
    summary: ['userId'],
    id: (i) => stringAt(i, 'userId'),
    refs: (_i, orgId) => orgRef(orgId),
    provides: (i) => [userRef(stringAt(i, 'userId'))],
  }),
  kind({
    type: 'machine_user',
    field: 'machineUsers',
    fieldNumber: 15,
    repeated: true,
    pass: 1,
    summary: ['userId'],
    id: (i) => stringAt(i, 'userId'),
    refs: (_i, orgId) => orgRef(orgId),
    provides: (i) => [userRef(stringAt(i, 'userId'))],
  }),
  kind({
    type: 'user_metadata',
    field: 'userMetadata',
    fieldNumber: 23,
    repeated: true,
    pass: 1,
    summary: ['id', 'key'],
    id: (i) => `${stringAt(i, 'id')}_${stringAt(i, 'key')}`,
    refs: (i, orgId) => [userRef(stringAt(i, 'id'), orgId)],
  }),
  kind({
    type: 'machine_user_key',
    field: 'machineKeys',
    fieldNumber: 36,
    repeated: true,
    pass: 1,
    summary: ['keyId', 'userId'],
    id: (i) => stringAt(i, 'keyId'),
    refs: (i, orgId) => [userRef(stringAt(i, 'userId'), orgId)],
  }),
  kind({
    type: 'user_link',
    field: 'userLinks',
    fieldNumber: 33,
    repeated: true,
    pass: 1,
    summary: ['userId', 'idpId', 'providedUserId', 'providedUserName'],
    id: (i) => `${stringAt(i, 'userId')}_${stringAt(i, 'idpId')}`,
    // The IdP must be one of this org's (idport holds no instance-level IdPs).
    refs: (i, orgId) => [userRef(stringAt(i, 'userId'), orgId), { kind: 'idp', id: stringAt(i, 'idpId'), org: orgId }],
  }),
  kind({
    type: 'project',
    field: 'projects',
    fieldNumber: 10,
    repeated: true,
    pass: 1,
    summary: ['projectId'],
    id: (i) => stringAt(i, 'projectId'),
    refs: (_i, orgId) => orgRef(orgId),
    provides: (i) => [projectRef(stringAt(i, 'projectId'))],
  }),
  kind({
    type: 'oidc_app',
    field: 'oidcApps',
    fieldNumber: 13,
    repeated: true,
    pass: 1,
    summary: ['appId', 'app.projectId'],
    id: (i) => stringAt(i, 'appId'),
    refs: (i, orgId) => [projectRef(stringAt(i, 'app.projectId'), orgId)],
    provides: (i) => [{ kind: 'app', id: stringAt(i, 'appId') }],
  }),
  kind({
    type: 'api_app',
    field: 'apiApps',
    fieldNumber: 12,
    repeated: true,
    pass: 1,
    summary: ['appId', 'app.projectId'],
    id: (i) => stringAt(i, 'appId'),
    refs: (i, orgId) => [projectRef(stringAt(i, 'app.projectId'), orgId)],
    provides: (i) => [{ kind: 'app', id: stringAt(i, 'appId') }],
  }),
  kind({
    type: 'app_key',
    field: 'appKeys',
    fieldNumber: 35,
    repeated: true,
    pass: 1,
    summary: ['id', 'appId'],
    id: (i) => stringAt(i, 'id'),
    refs: (i, orgId) => [{ kind: 'app', id: stringAt(i, 'appId'), org: orgId }],
  }),
  kind({
    type: 'action',
    field: 'actions',
    fieldNumber: 17,
    repeated: true,
    pass: 1,
    summary: ['actionId'],
    id: (i) => stringAt(i, 'actionId'),
    refs: (_i, orgId) => orgRef(orgId),
    provides: (i) => [{ kind: 'action', id: stringAt(i, 'actionId') }],
  }),
  kind({
    type: 'project_role',
    field: 'projectRoles',
    fieldNumber: 11,
    repeated: true,
    pass: 1,
    summary: ['projectId', 'roleKey'],
    id: (i) => `${stringAt(i, 'projectId')}_${stringAt(i, 'roleKey')}`,
    refs: (i, orgId) => [projectRef(stringAt(i, 'projectId'), orgId)],
    provides: (i) => roleRefs(stringAt(i, 'projectId'), [stringAt(i, 'roleKey')]),
  }),
  kind({
    type: 'trigger_action',
    field: 'triggerActions',
    fieldNumber: 16,
    repeated: true,
    pass: 2,
    summary: ['flowType', 'triggerType', 'actionIds'],
    id: (i) => `${stringAt(i, 'flowType')}_${stringAt(i, 'triggerType')}`,
    refs: (i, orgId) => [...orgRef(orgId), ...stringsAt(i, 'actionIds').map((id): Ref => ({ kind: 'action', id, org: orgId }))],
  }),
  kind({
    type: 'project_grant',
    field: 'projectGrants',
    fieldNumber: 18,
    repeated: true,
    pass: 2,
    summary: ['grantId', 'projectGrant.projectId', 'projectGrant.grantedOrgId'],
    id: (i, orgId) => `${orgId}_${stringAt(i, 'projectGrant.projectId')}_${stringAt(i, 'projectGrant.grantedOrgId')}`,
    // The granting org owns the project and its roles; the granted org is any other.
    refs: (i, orgId) => [
      projectRef(stringAt(i, 'projectGrant.projectId'), orgId),
      { kind: 'org', id: stringAt(i, 'projectGrant.grantedOrgId') },
      ...roleRefs(stringAt(i, 'projectGrant.projectId'), stringsAt(i, 'projectGrant.roleKeys'), orgId),
    ],
    provides: (i) => [{ kind: 'project_grant', id: stringAt(i, 'grantId') }],
  }),
  kind({
    type: 'user_grant',
    field: 'userGrants',
    fieldNumber: 19,
    repeated: true,
    pass: 2,
    summary: ['userId', 'projectId', 'projectGrantId'],
    id: (i, orgId) => `${orgId}_${stringAt(i, 'projectId')}_${stringAt(i, 'userId')}`,
    refs: (i) => [
      userRef(stringAt(i, 'userId')),
      projectRef(stringAt(i, 'projectId')),
      ...(stringAt(i, 'projectGrantId') ? [{ kind: 'project_grant', id: stringAt(i, 'projectGrantId') } as Ref] : []),
      ...roleRefs(stringAt(i, 'projectId'), stringsAt(i, 'roleKeys')),
    ],
  }),
  kind({
    type: 'org_member',
    field: 'orgMembers',
    fieldNumber: 20,
    repeated: true,
    pass: 3,
    summary: ['userId'],
    id: (i, orgId) => `${orgId}_${stringAt(i, 'userId')}`,
    refs: (i, orgId) => [...orgRef(orgId), userRef(stringAt(i, 'userId'))],
  }),
  kind({
    type: 'project_grant_member',
    field: 'projectGrantMembers',
    fieldNumber: 22,
    repeated: true,
    pass: 3,
    summary: ['projectId', 'grantId', 'userId'],
    id: (i, orgId) => `${orgId}_${stringAt(i, 'projectId')}_${stringAt(i, 'grantId')}_${stringAt(i, 'userId')}`,
    refs: (i, orgId) => [{ kind: 'project_grant', id: stringAt(i, 'grantId'), org: orgId }, userRef(stringAt(i, 'userId'))],
  }),
  kind({
    type: 'project_member',
    field: 'projectMembers',
    fieldNumber: 21,
    repeated: true,
    pass: 3,
    summary: ['projectId', 'userId'],
    id: (i, orgId) => `${orgId}_${stringAt(i, 'projectId')}_${stringAt(i, 'userId')}`,
    refs: (i, orgId) => [projectRef(stringAt(i, 'projectId'), orgId), userRef(stringAt(i, 'userId'))],
  }),
] as const;

/** The org itself: the head of a DataOrg (orgId, org.name, orgState). */
export const ORG_KIND = kind({
  type: 'org',
  field: 'org',
  fieldNumber: 3,
  repeated: false,
  pass: 1,
  summary: ['org.name'],
  id: (_i, orgId) => orgId,
  refs: () => [],
  provides: (_i, orgId) => [{ kind: 'org', id: orgId }],
});

/**
 * Every resource type idport imports and exports, derived from the registry. Per-kind tables
 * elsewhere are declared `satisfies Record<ResourceType, …>`, so a kind added here is named by
 * the compiler in every table that must say something about it.
 */
export type ResourceType = (typeof REGISTRY)[number]['type'] | (typeof ORG_KIND)['type'];

/** The org settings (policies and custom texts): stored alike, in one table. */
export type SettingType = Extract<(typeof REGISTRY)[number], { readonly setting: 'policy' | 'text' }>['type'];

/** In import order (without the org head). */
export const RESOURCE_KINDS: readonly ResourceKind[] = REGISTRY;

const SETTING_KINDS = RESOURCE_KINDS.filter((k) => k.setting !== undefined) as readonly ResourceKind<SettingType>[];

/**
 * One row per org setting for a per-kind table: settings share their rules, so tables fill
 * them from the kind instead of listing sixteen alike rows.
 */
export function forSettings<V>(row: (kind: ResourceKind<SettingType>) => V): Record<SettingType, V> {
  return Object.fromEntries(SETTING_KINDS.map((k) => [k.type, row(k)])) as Record<SettingType, V>;
}

export const KIND_BY_TYPE: ReadonlyMap<ResourceType, ResourceKind> = new Map([ORG_KIND, ...RESOURCE_KINDS].map((k) => [k.type, k]));

export const isResourceType = (type: string): type is ResourceType => KIND_BY_TYPE.has(type as ResourceType);

/** Export order: protojson writes fields by number. */
export const EXPORT_ORDER: readonly ResourceKind[] = [...RESOURCE_KINDS].sort((a, b) => a.fieldNumber - b.fieldNumber);
