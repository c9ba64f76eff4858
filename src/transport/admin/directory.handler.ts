import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { HandlerContext } from '@connectrpc/connect';
import type { AddIAMMemberRequest, ListOrgsRequest } from '../../../gen/zitadel/admin_pb.js';
import { AddIAMMemberResponseSchema, ListOrgsResponseSchema } from '../../../gen/zitadel/admin_pb.js';
import { ListDetailsSchema } from '../../../gen/zitadel/object_pb.js';
import { OrgSchema, OrgState } from '../../../gen/zitadel/org_pb.js';
import type { OrgFilter, OrgSummary } from '../../application/ports.js';
import { principalOf } from '../interceptors/auth.interceptor.js';
import { pageOf, textMatch } from '../list-query.js';
import { objectDetails } from '../object-details.js';
import type { AdminUseCases } from '../use-cases.js';

function orgFilter(req: ListOrgsRequest): OrgFilter {
  const filter: OrgFilter = pageOf(req.query);
  for (const q of req.queries) {
    switch (q.query.case) {
      case 'nameQuery':
        filter.name = textMatch(q.query.value.name, q.query.value.method);
        break;
      case 'domainQuery':
        filter.domain = textMatch(q.query.value.domain, q.query.value.method);
        break;
      case 'idQuery':
        filter.idEquals = q.query.value.id;
        break;
      case 'stateQuery':
        filter.state = OrgState[q.query.value.state] ? `ORG_STATE_${OrgState[q.query.value.state]}` : '';
        break;
      default:
        break;
    }
  }
  return filter;
}

function toOrg(o: OrgSummary) {
  const state = OrgState[o.state.replace(/^ORG_STATE_/, '') as keyof typeof OrgState] ?? OrgState.UNSPECIFIED;
  return create(OrgSchema, {
    id: o.id,
    name: o.name,
    state,
    primaryDomain: o.primaryDomain,
    details: objectDetails(o.id, o.changedAt, o.createdAt),
  });
}

/** AdminService methods that manage the directory (orgs and instance members). */
export function createDirectoryHandlers(uc: AdminUseCases) {
  return {
    async listOrgs(req: ListOrgsRequest) {
      const { total, items } = await uc.orgs.listOrgs(orgFilter(req));
      return create(ListOrgsResponseSchema, {
        details: create(ListDetailsSchema, { totalResult: BigInt(total), viewTimestamp: timestampFromDate(new Date()) }),
        sortingColumn: req.sortingColumn,
        result: items.map(toOrg),
      });
    },

    async addIAMMember(req: AddIAMMemberRequest, ctx: HandlerContext) {
      await uc.iamMembers.addIamMember(principalOf(ctx), req.userId, req.roles);
      return create(AddIAMMemberResponseSchema, { details: objectDetails('') });
    },
  };
}
