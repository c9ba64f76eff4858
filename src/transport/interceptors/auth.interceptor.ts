import type { DescMethod } from '@bufbuild/protobuf';
import { getOption, hasOption } from '@bufbuild/protobuf';
import { createContextKey, type HandlerContext } from '@connectrpc/connect';
import { auth_option } from '../../../gen/zitadel/options_pb.js';
import type { Access } from '../../application/access/authorize.js';
import { DomainError } from '../../domain/errors.js';
import { type Principal, PUBLIC } from '../../domain/permissions.js';

/**
 * Where handlers find who is calling and which org the call acts on. Set by the auth gate
 * (transport/gate/auth-gate.ts) before the request body is read.
 */
export const accessKey = createContextKey<Access>({ principal: null, orgId: null });

/** Protocol services that are public by nature (they describe the server, not its data). */
const PUBLIC_SERVICES = new Set([
  'grpc.health.v1.Health',
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
]);

/** The permission an RPC declares in its proto (`zitadel.v1.auth_option`), or undefined. */
export function declaredPermission(method: DescMethod): string | undefined {
  if (hasOption(method, auth_option)) return getOption(method, auth_option).permission || undefined;
  return PUBLIC_SERVICES.has(method.parent.typeName) ? PUBLIC : undefined;
}

/** The caller's org context in an org-scoped handler (set by the auth gate). */
export function orgOf(ctx: HandlerContext): string {
  const orgId = ctx.values.get(accessKey).orgId;
  if (orgId === null) throw new DomainError('Internal', 'AUTH-no-org-context', 'org context missing');
  return orgId;
}

/** Who is calling (null on public methods); set by the auth gate. */
export function principalOf(ctx: HandlerContext): Principal | null {
  return ctx.values.get(accessKey).principal;
}
