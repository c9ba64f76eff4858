import type { DescMethod } from '@bufbuild/protobuf';
import { getOption, hasOption } from '@bufbuild/protobuf';
import { createContextKey, type HandlerContext, type Interceptor } from '@connectrpc/connect';
import { auth_option } from '../../../gen/zitadel/options_pb.js';
import type { Access, Authorize } from '../../application/access/authorize.js';
import { DomainError } from '../../domain/errors.js';
import { PUBLIC } from '../../domain/permissions.js';

/** Where handlers find who is calling and which org the call acts on. */
export const accessKey = createContextKey<Access>({ principal: null, orgId: null });

/** Protocol services that are public by nature (they describe the server, not its data). */
const PUBLIC_SERVICES = new Set([
  'grpc.health.v1.Health',
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
]);

/** Services whose calls act on one org (x-zitadel-orgid, else the default org). */
const ORG_SCOPED_SERVICES = new Set(['zitadel.management.v1.ManagementService']);

/** The permission an RPC declares in its proto (`zitadel.v1.auth_option`), or undefined. */
export function declaredPermission(method: DescMethod): string | undefined {
  if (hasOption(method, auth_option)) return getOption(method, auth_option).permission || undefined;
  return PUBLIC_SERVICES.has(method.parent.typeName) ? PUBLIC : undefined;
}

export function createAuthInterceptor(authorize: Authorize): Interceptor {
  return (next) => async (req) => {
    const permission = declaredPermission(req.method);
    if (permission === undefined) {
      // Fail closed: a method without a declaration is a programming error, not a public method.
      throw new DomainError('Internal', 'AUTH-undeclared', `no permission declared for ${req.method.name}`);
    }
    const access = await authorize({
      authorization: req.header.get('authorization'),
      permission,
      orgScope: ORG_SCOPED_SERVICES.has(req.service.typeName) ? { requestedOrgId: req.header.get('x-zitadel-orgid') || null } : null,
    });
    req.contextValues.set(accessKey, access);
    return next(req);
  };
}

/** The caller's org context in an org-scoped handler (set by the interceptor above). */
export function orgOf(ctx: HandlerContext): string {
  const orgId = ctx.values.get(accessKey).orgId;
  if (orgId === null) throw new DomainError('Internal', 'AUTH-no-org-context', 'org context missing');
  return orgId;
}
