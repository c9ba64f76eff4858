import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import {
  AddMachineUserResponseSchema,
  AddPersonalAccessTokenResponseSchema,
  GenerateMachineSecretResponseSchema,
  ListPersonalAccessTokensResponseSchema,
  type ManagementService,
  RemovePersonalAccessTokenResponseSchema,
  RemoveUserResponseSchema,
} from '../../../gen/zitadel/management_pb.js';
import { ListDetailsSchema } from '../../../gen/zitadel/object_pb.js';
import { AccessTokenType, PersonalAccessTokenSchema } from '../../../gen/zitadel/user_pb.js';
import { orgOf, principalOf } from '../interceptors/auth.interceptor.js';
import { pageOf } from '../list-query.js';
import { objectDetails } from '../object-details.js';
import type { ManagementUseCases } from '../use-cases.js';

/** ManagementService: the service-user setup steps of the migration guide. */
export function createManagementHandlers(uc: ManagementUseCases): ServiceImpl<typeof ManagementService> {
  return {
    healthz: () => ({}),

    async addMachineUser(req, ctx: HandlerContext) {
      const orgId = orgOf(ctx);
      const { userId } = await uc.machineUsers.addMachineUser({
        orgId,
        userId: req.userId,
        userName: req.userName,
        name: req.name,
        description: req.description,
        accessTokenType: `ACCESS_TOKEN_TYPE_${AccessTokenType[req.accessTokenType] ?? 'BEARER'}`,
      });
      return create(AddMachineUserResponseSchema, { userId, details: objectDetails(orgId) });
    },

    async removeUser(req, ctx) {
      const orgId = orgOf(ctx);
      await uc.machineUsers.removeUser(principalOf(ctx), orgId, req.id);
      return create(RemoveUserResponseSchema, { details: objectDetails(orgId) });
    },

    async generateMachineSecret(req, ctx) {
      const orgId = orgOf(ctx);
      const { clientId, clientSecret } = await uc.clientCredentials.generateSecret(orgId, req.userId);
      return create(GenerateMachineSecretResponseSchema, { clientId, clientSecret, details: objectDetails(orgId) });
    },

    async addPersonalAccessToken(req, ctx) {
      const orgId = orgOf(ctx);
      const expiry = req.expirationDate ? timestampDate(req.expirationDate) : null;
      const { tokenId, token, createdAt } = await uc.accessTokens.addToken(principalOf(ctx), orgId, req.userId, expiry);
      return create(AddPersonalAccessTokenResponseSchema, { tokenId, token, details: objectDetails(orgId, createdAt, createdAt) });
    },

    async listPersonalAccessTokens(req, ctx) {
      const orgId = orgOf(ctx);
      const { total, items } = await uc.accessTokens.listTokens(principalOf(ctx), orgId, req.userId, pageOf(req.query));
      return create(ListPersonalAccessTokensResponseSchema, {
        details: create(ListDetailsSchema, { totalResult: BigInt(total), viewTimestamp: timestampFromDate(new Date()) }),
        result: items.map((t) =>
          create(PersonalAccessTokenSchema, {
            id: t.id,
            details: objectDetails(orgId, t.createdAt, t.createdAt),
            expirationDate: timestampFromDate(t.expiresAt),
            scopes: t.scopes,
          }),
        ),
      });
    },

    async removePersonalAccessToken(req, ctx) {
      const orgId = orgOf(ctx);
      await uc.accessTokens.removeToken(principalOf(ctx), orgId, req.userId, req.tokenId);
      return create(RemovePersonalAccessTokenResponseSchema, { details: objectDetails(orgId) });
    },
  };
}
