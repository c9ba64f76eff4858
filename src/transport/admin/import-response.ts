import { create, fromJson, type JsonObject as PbJsonObject } from '@bufbuild/protobuf';
import {
  ImportDataErrorSchema,
  type ImportDataResponse,
  ImportDataResponseSchema,
  ImportDataSuccessOrgSchema,
} from '../../../gen/zitadel/admin_pb.js';
import type { ImportReport, ItemResult } from '../../application/import/import-report.js';
import { isSuccess } from '../../application/import/import-report.js';
import { stringAt } from '../../domain/json.js';
import { forSettings, type ResourceType } from '../../domain/resources/kinds.js';

type Entry = [field: string, value: (r: ItemResult) => string | PbJsonObject];
const at = (path: string) => (r: ItemResult) => stringAt(r.item, path);
const pick = (fields: Record<string, string>) => (r: ItemResult) =>
  Object.fromEntries(Object.entries(fields).map(([to, from]) => [to, stringAt(r.item, from)]));

/**
 * Resource type → the ImportDataSuccessOrg list that names it (ZITADEL's shapes); null for the
 * kinds ZITADEL's success message has no list for (the org itself and its settings).
 */
const SUCCESS_LISTS: Readonly<Record<ResourceType, Entry | null>> = {
  org: null,
  ...forSettings(() => null),
  project: ['projectIds', at('projectId')],
  project_role: ['projectRoles', (r) => r.id],
  oidc_app: ['oidcAppIds', at('appId')],
  api_app: ['apiAppIds', at('appId')],
  human_user: ['humanUserIds', at('userId')],
  machine_user: ['machineUserIds', at('userId')],
  action: ['actionIds', at('actionId')],
  trigger_action: ['triggerActions', (r) => r.item as PbJsonObject],
  project_grant: ['projectGrants', pick({ grantId: 'grantId', projectId: 'projectGrant.projectId', orgId: 'projectGrant.grantedOrgId' })],
  user_grant: ['userGrants', pick({ projectId: 'projectId', userId: 'userId' })],
  org_member: ['orgMembers', at('userId')],
  project_member: ['projectMembers', pick({ projectId: 'projectId', userId: 'userId' })],
  project_grant_member: ['projectGrantMembers', pick({ projectId: 'projectId', grantId: 'grantId', userId: 'userId' })],
  oidc_idp: ['oidcIpds', at('idpId')],
  jwt_idp: ['jwtIdps', at('idpId')],
  user_link: ['userLinks', pick({ userId: 'userId', externalUserId: 'providedUserId', displayName: 'providedUserName', idpId: 'idpId' })],
  user_metadata: ['userMetadata', pick({ userId: 'id', key: 'key' })],
  domain: ['domains', at('domainName')],
  app_key: ['appKeys', at('id')],
  machine_user_key: ['machineKeys', at('keyId')],
} satisfies Record<ResourceType, Entry | null>;

/** ImportReport → ImportDataResponse: failures and skips as errors, the rest per org. */
export function importResponse(report: ImportReport): ImportDataResponse {
  const orgs = new Map<string, Record<string, (string | PbJsonObject)[]>>();
  const errors = [];
  for (const r of report.each()) {
    if (!isSuccess(r)) {
      const message = r.outcome === 'skipped' ? `skipped: ${r.message ?? ''}` : (r.message ?? 'failed');
      errors.push(create(ImportDataErrorSchema, { type: r.type, id: r.id, message }));
      continue;
    }
    if (!orgs.has(r.orgId)) orgs.set(r.orgId, {});
    const entry = SUCCESS_LISTS[r.type];
    if (!entry) continue;
    const lists = orgs.get(r.orgId) as Record<string, (string | PbJsonObject)[]>;
    lists[entry[0]] ??= [];
    lists[entry[0]]?.push(entry[1](r));
  }
  return create(ImportDataResponseSchema, {
    errors,
    success: {
      orgs: [...orgs].map(([orgId, lists]) => fromJson(ImportDataSuccessOrgSchema, { orgId, ...lists })),
    },
  });
}
