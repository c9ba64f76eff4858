import { type JsonObject, stringAt, stringsAt } from '../../domain/json.js';
import { forSettings, type RefKind, type ResourceType } from '../../domain/resources/kinds.js';

/** Per-row facts the item alone does not carry. */
export interface RowContext {
  /** Uniqueness scope of user names in this org (see domain/user-name-scope.ts). */
  userNameScope: string;
}

type Column = {
  name: string;
  type: 'text' | 'boolean' | 'json';
  value(item: JsonObject, orgId: string, ctx: RowContext): unknown;
  /** The column that stores the whole item: writers that already hold its JSON text use that. */
  isPayload?: true;
};

/** How one resource kind is stored: a table, its key, the columns derived from the item. */
export interface ResourceTable {
  table: string;
  /** Key columns; with `where`, they identify one row. */
  key: string[];
  /** Fixed column values that select this kind inside a shared table. */
  where: Record<string, string>;
  /** Whether rows belong to the exported org through `org_id` (all but the org itself). */
  orgColumn: string;
  columns: Column[];
}

const text = (name: string, path: string): Column => ({ name, type: 'text', value: (i) => stringAt(i, path) });
const orgId: Column = { name: 'org_id', type: 'text', value: (_i, org) => org };
const payload: Column = { name: 'payload', type: 'json', value: (i) => i, isPayload: true };

function table(name: string, key: string[], columns: Column[], where: Record<string, string> = {}): ResourceTable {
  return { table: name, key, where, orgColumn: 'org_id', columns: [...columns, payload] };
}

const setting = (kind: string, language: boolean): ResourceTable =>
  table(
    'org_setting',
    ['org_id', 'kind', 'language'],
    [
      orgId,
      { name: 'kind', type: 'text', value: () => kind },
      language ? text('language', 'language') : { name: 'language', type: 'text', value: () => '' },
    ],
    { kind },
  );

const member = (scope: string, scopeId: (i: JsonObject, org: string) => string): ResourceTable =>
  table(
    'member',
    ['scope', 'scope_id', 'user_id'],
    [
      { name: 'scope', type: 'text', value: () => scope },
      { name: 'scope_id', type: 'text', value: scopeId },
      text('user_id', 'userId'),
      orgId,
      { name: 'roles', type: 'json', value: (i) => stringsAt(i, 'roles') },
    ],
    { scope },
  );

/** Resource kind (ImportDataError.type) → storage. */
export const RESOURCE_TABLES: Readonly<Record<ResourceType, ResourceTable>> = {
  org: {
    table: 'org',
    key: ['id'],
    where: {},
    orgColumn: 'id',
    columns: [
      { name: 'id', type: 'text', value: (_i, org) => org },
      text('name', 'org.name'),
      { name: 'state', type: 'text', value: (i) => stringAt(i, 'orgState') || 'ORG_STATE_ACTIVE' },
      payload,
    ],
  },
  ...forSettings((k) => setting(k.type, k.setting === 'text')),
  domain: table(
    'org_domain',
    ['org_id', 'domain_name'],
    [orgId, text('domain_name', 'domainName'), { name: 'is_verified', type: 'boolean', value: (i) => i.isVerified === true }],
  ),
  oidc_idp: table('idp', ['id'], [text('id', 'idpId'), orgId, { name: 'type', type: 'text', value: () => 'oidc' }], { type: 'oidc' }),
  jwt_idp: table('idp', ['id'], [text('id', 'idpId'), orgId, { name: 'type', type: 'text', value: () => 'jwt' }], { type: 'jwt' }),
  human_user: usersTable('human'),
  machine_user: usersTable('machine'),
  user_metadata: table('user_metadata', ['user_id', 'key'], [text('user_id', 'id'), text('key', 'key'), orgId]),
  machine_user_key: table('machine_key', ['id'], [text('id', 'keyId'), text('user_id', 'userId'), orgId]),
  user_link: table(
    'user_link',
    ['idp_id', 'provided_user_id'],
    [text('idp_id', 'idpId'), text('provided_user_id', 'providedUserId'), text('user_id', 'userId'), orgId],
  ),
  project: table('project', ['id'], [text('id', 'projectId'), orgId]),
  oidc_app: table(
    'app',
    ['id'],
    [text('id', 'appId'), text('project_id', 'app.projectId'), orgId, { name: 'type', type: 'text', value: () => 'oidc' }],
    { type: 'oidc' },
  ),
  api_app: table(
    'app',
    ['id'],
    [text('id', 'appId'), text('project_id', 'app.projectId'), orgId, { name: 'type', type: 'text', value: () => 'api' }],
    { type: 'api' },
  ),
  app_key: table('app_key', ['id'], [text('id', 'id'), text('app_id', 'appId'), orgId]),
  action: table('action', ['id'], [text('id', 'actionId'), orgId]),
  project_role: table('project_role', ['project_id', 'role_key'], [text('project_id', 'projectId'), text('role_key', 'roleKey'), orgId]),
  trigger_action: table(
    'trigger_action',
    ['org_id', 'flow_type', 'trigger_type'],
    [orgId, text('flow_type', 'flowType'), text('trigger_type', 'triggerType')],
  ),
  project_grant: table(
    'project_grant',
    ['id'],
    [text('id', 'grantId'), text('project_id', 'projectGrant.projectId'), orgId, text('granted_org_id', 'projectGrant.grantedOrgId')],
  ),
  user_grant: table(
    'user_grant',
    ['id'],
    [
      {
        name: 'id',
        type: 'text',
        value: (i) => [stringAt(i, 'userId'), stringAt(i, 'projectId'), stringAt(i, 'projectGrantId')].join('_'),
      },
      text('user_id', 'userId'),
      text('project_id', 'projectId'),
      orgId,
    ],
  ),
  org_member: member('org', (_i, org) => org),
  project_member: member('project', (i) => stringAt(i, 'projectId')),
  project_grant_member: member('project_grant', (i) => stringAt(i, 'grantId')),
} satisfies Record<ResourceType, ResourceTable>;

function usersTable(type: 'human' | 'machine'): ResourceTable {
  return table(
    'users',
    ['id'],
    [
      text('id', 'userId'),
      orgId,
      { name: 'type', type: 'text', value: () => type },
      text('user_name', 'user.userName'),
      { name: 'user_name_scope', type: 'text', value: (_i, _org, ctx) => ctx.userNameScope },
      { name: 'state', type: 'text', value: (i) => stringAt(i, 'state') || 'USER_STATE_ACTIVE' },
    ],
    { type },
  );
}

/** Where a referenced kind's ids live: `idExpr` and `orgExpr` are SQL over `table`'s columns. */
export interface RefTable {
  table: string;
  idExpr: string;
  orgExpr: string;
}

/** Tables whose key ids other resources refer to (Ref kinds). */
export const REF_TABLES: Readonly<Record<RefKind, RefTable>> = {
  org: { table: 'org', idExpr: 'id', orgExpr: 'id' },
  user: { table: 'users', idExpr: 'id', orgExpr: 'org_id' },
  project: { table: 'project', idExpr: 'id', orgExpr: 'org_id' },
  project_role: { table: 'project_role', idExpr: "project_id || '_' || role_key", orgExpr: 'org_id' },
  app: { table: 'app', idExpr: 'id', orgExpr: 'org_id' },
  project_grant: { table: 'project_grant', idExpr: 'id', orgExpr: 'org_id' },
  action: { table: 'action', idExpr: 'id', orgExpr: 'org_id' },
  idp: { table: 'idp', idExpr: 'id', orgExpr: 'org_id' },
} satisfies Record<RefKind, RefTable>;
