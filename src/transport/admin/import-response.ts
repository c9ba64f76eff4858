import { create, type DescMessage, fromJson, type MessageInitShape, type JsonObject as PbJsonObject } from '@bufbuild/protobuf';
import {
  ImportDataErrorSchema,
  type ImportDataResponse,
  ImportDataResponseSchema,
  type ImportDataSuccessOrg,
  ImportDataSuccessOrgSchema,
  ImportDataSuccessProjectGrantMemberSchema,
  ImportDataSuccessProjectGrantSchema,
  ImportDataSuccessProjectMemberSchema,
  ImportDataSuccessUserGrantSchema,
  ImportDataSuccessUserLinksSchema,
  ImportDataSuccessUserMetadataSchema,
} from '../../../gen/zitadel/admin_pb.js';
import { SetTriggerActionsRequestSchema } from '../../../gen/zitadel/management_pb.js';
import type { ImportReport, ItemResult, ReportRow } from '../../application/import/import-report.js';
import { isSuccess } from '../../application/import/import-report.js';
import { type Json, valueAt } from '../../domain/json.js';
import { forSettings, type ResourceType } from '../../domain/resources/kinds.js';
import { type ListPart, lazyList } from './lazy-list.js';

type Lists = Omit<ImportDataSuccessOrg, '$typeName' | '$unknown' | 'orgId'>;
/** A success list of ImportDataSuccessOrg, and what one resource's row puts in it. */
type Entry = { [F in keyof Lists]: [field: F, value: (row: ReportRow) => Lists[F][number]] }[keyof Lists];

const text = (value: Json | undefined) => (typeof value === 'string' ? value : '');
const at = (path: string) => (row: ReportRow) => text(row.value(path));
/** One list element as a message: its fields (local names) from the row's summary paths. */
const pick =
  <S extends DescMessage>(schema: S, fields: Record<string, string>) =>
  (row: ReportRow) => {
    const init: Record<string, string> = {};
    for (const to in fields) init[to] = text(row.value(fields[to] as string));
    return create(schema, init as MessageInitShape<S>);
  };

/**
 * Resource type → the ImportDataSuccessOrg list that names it (ZITADEL's shapes); null for the
 * kinds ZITADEL's success message has no list for (the org itself and its settings).
 */
const SUCCESS_LISTS: Readonly<Record<ResourceType, Entry | null>> = {
  org: null,
  ...forSettings(() => null),
  project: ['projectIds', at('projectId')],
  project_role: ['projectRoles', (row) => row.id()],
  oidc_app: ['oidcAppIds', at('appId')],
  api_app: ['apiAppIds', at('appId')],
  human_user: ['humanUserIds', at('userId')],
  machine_user: ['machineUserIds', at('userId')],
  action: ['actionIds', at('actionId')],
  trigger_action: ['triggerActions', (row) => fromJson(SetTriggerActionsRequestSchema, row.item() as PbJsonObject)],
  project_grant: [
    'projectGrants',
    pick(ImportDataSuccessProjectGrantSchema, {
      grantId: 'grantId',
      projectId: 'projectGrant.projectId',
      orgId: 'projectGrant.grantedOrgId',
    }),
  ],
  user_grant: ['userGrants', pick(ImportDataSuccessUserGrantSchema, { projectId: 'projectId', userId: 'userId' })],
  org_member: ['orgMembers', at('userId')],
  project_member: ['projectMembers', pick(ImportDataSuccessProjectMemberSchema, { projectId: 'projectId', userId: 'userId' })],
  project_grant_member: [
    'projectGrantMembers',
    pick(ImportDataSuccessProjectGrantMemberSchema, { projectId: 'projectId', grantId: 'grantId', userId: 'userId' }),
  ],
  oidc_idp: ['oidcIpds', at('idpId')],
  jwt_idp: ['jwtIdps', at('idpId')],
  user_link: [
    'userLinks',
    pick(ImportDataSuccessUserLinksSchema, {
      userId: 'userId',
      externalUserId: 'providedUserId',
      displayName: 'providedUserName',
      idpId: 'idpId',
    }),
  ],
  user_metadata: ['userMetadata', pick(ImportDataSuccessUserMetadataSchema, { userId: 'id', key: 'key' })],
  domain: ['domains', at('domainName')],
  app_key: ['appKeys', at('id')],
  machine_user_key: ['machineKeys', at('keyId')],
} satisfies Record<ResourceType, Entry | null>;

/** A success kept whole (one with a message), read as a row. */
function wholeRow(r: ItemResult): ReportRow {
  return { id: () => r.id, value: (path) => valueAt(r.item, path), item: () => r.item };
}

/** Lists at least this long are read from the report as they are encoded (lazy-list.ts); shorter ones are plain arrays. */
export const LAZY_LIST_FROM = 1000;

type OrgLists = Map<keyof Lists, { parts: ListPart<unknown>[]; length: number }>;

/**
 * ImportReport → ImportDataResponse: failures and skips as errors, the rest per org. Built from
 * the packed report's runs (report.parts), never an ItemResult per resource: a long list is
 * read from its runs element by element as the answer is encoded, a short one built at once.
 */
export function importResponse(report: ImportReport): ImportDataResponse {
  const orgs = new Map<string, OrgLists>();
  const response = create(ImportDataResponseSchema, { success: {} });
  const listsOf = (orgId: string) => {
    let lists = orgs.get(orgId);
    if (!lists) {
      lists = new Map();
      orgs.set(orgId, lists);
    }
    return lists;
  };
  const add = (lists: OrgLists, entry: Entry, part: ListPart<unknown>, count: number) => {
    const list = lists.get(entry[0]) ?? { parts: [], length: 0 };
    lists.set(entry[0], list);
    list.parts.push(part);
    list.length += count;
  };
  for (const part of report.parts()) {
    if ('run' in part) {
      const lists = listsOf(part.run.orgId);
      const entry = SUCCESS_LISTS[part.run.type];
      if (entry) add(lists, entry, { run: part.run, element: entry[1] as (row: ReportRow) => unknown }, part.run.count);
      continue;
    }
    const r = part.whole;
    if (isSuccess(r)) {
      const lists = listsOf(r.orgId);
      const entry = SUCCESS_LISTS[r.type];
      if (entry) add(lists, entry, { value: entry[1](wholeRow(r)) }, 1);
      continue;
    }
    const message = r.outcome === 'skipped' ? `skipped: ${r.message ?? ''}` : (r.message ?? 'failed');
    response.errors.push(create(ImportDataErrorSchema, { type: r.type, id: r.id, message }));
  }
  for (const [orgId, lists] of orgs) {
    const org = create(ImportDataSuccessOrgSchema, { orgId });
    for (const [field, { parts, length }] of lists) {
      (org as unknown as Record<string, unknown[]>)[field] =
        length >= LAZY_LIST_FROM ? lazyList(parts, length) : [...lazyList(parts, length)];
    }
    response.success?.orgs.push(org);
  }
  return response;
}
