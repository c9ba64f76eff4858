import type { DescMethod } from '@bufbuild/protobuf';
import {
  Code,
  type ConnectError,
  type ContextValues,
  createContextKey,
  createContextValues,
  type HandlerContext,
} from '@connectrpc/connect';
import { codeToString } from '@connectrpc/connect/protocol-connect';
import type { Access, Authorize } from '../../application/access/authorize.js';
import { DomainError } from '../../domain/errors.js';
import { accessKey, declaredPermission } from '../interceptors/auth.interceptor.js';
import { type ErrorClassifier, type ErrorLog, toConnectError } from '../interceptors/errors.interceptor.js';
import { currentCall } from '../observability/call-record.js';

/** What the gate decided for one request: who is calling, or why they may not. */
export type GateDecision = { access: Access; error?: undefined } | { access?: undefined; error: ConnectError };

/** Carries a decision made before the request reached Connect (REST, the admin-shaped rewrite). */
const decisionKey = createContextKey<GateDecision | undefined>(undefined);

/** Services whose calls act on one org (x-zitadel-orgid, else the default org). */
const ORG_SCOPED_SERVICES = new Set(['zitadel.management.v1.ManagementService']);

/** Request headers as Node (`IncomingHttpHeaders`) or fetch (`Headers`) hold them. */
export type HeaderSource = Headers | Readonly<Record<string, string | string[] | undefined>>;

function headerOf(headers: HeaderSource, name: string): string | null {
  if (headers instanceof Headers) return headers.get(name);
  const value = headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/**
 * Authentication and the method's permission, decided from the headers alone, before any
 * byte of the body is read (issue 9: unauthenticated 60 MiB bodies were read and parsed
 * before the 401). Body limits, decompression and parsing all come after this.
 *
 * Connect's `requestGate` (connect-es ≥ 2.2) runs before the body for every protocol it
 * serves; the REST gateway and the admin-shaped ImportData rewrite read bodies outside
 * Connect, so they ask `decide` first and pass the decision on in the context values.
 */
export function createAuthGate(authorize: Authorize, options: { classify?: ErrorClassifier; log?: ErrorLog } = {}) {
  async function decide(method: DescMethod, headers: HeaderSource): Promise<GateDecision> {
    try {
      const permission = declaredPermission(method);
      if (permission === undefined) {
        // Fail closed: a method without a declaration is a programming error, not a public method.
        throw new DomainError('Internal', 'AUTH-undeclared', `no permission declared for ${method.name}`);
      }
      const access = await authorize({
        authorization: headerOf(headers, 'authorization'),
        permission,
        orgScope: ORG_SCOPED_SERVICES.has(method.parent.typeName) ? { requestedOrgId: headerOf(headers, 'x-zitadel-orgid') || null } : null,
      });
      return { access };
    } catch (e) {
      const error = toConnectError(e, options.classify);
      // A refusal is the caller's business; a failure to decide (database down) is ours.
      if (error.code === Code.Internal || error.code === Code.Unavailable) {
        options.log?.error(`${method.parent.typeName}/${method.name}: auth: ${Code[error.code]}: ${error.rawMessage}`, error.cause);
      }
      return { error };
    }
  }

  /**
   * A refused call never reaches the interceptors, so the access line and the call metrics
   * learn its name, code and error id here (issue 13: one access line per call, failures too).
   */
  async function decideAndRecord(method: DescMethod, headers: HeaderSource): Promise<GateDecision> {
    const decision = await decide(method, headers);
    const call = currentCall();
    if (call) {
      call.method = `${method.parent.typeName}/${method.name}`;
      if (decision.error) {
        call.code = codeToString(decision.error.code);
        call.errorId = decision.error.metadata.get('x-idport-error-id') ?? undefined;
      } else if (decision.access.principal) {
        call.principalId = decision.access.principal.userId;
      }
    }
    return decision;
  }

  return {
    decide: decideAndRecord,
    /** Context values for a request whose decision is already made. */
    contextValues(decision: GateDecision): ContextValues {
      return createContextValues().set(decisionKey, decision);
    },
    /** For the Connect router: throws the refusal (Connect answers it in the caller's protocol). */
    async requestGate(ctx: HandlerContext): Promise<void> {
      const decision = ctx.values.get(decisionKey) ?? (await decideAndRecord(ctx.method, ctx.requestHeader));
      if (decision.error) throw decision.error;
      ctx.values.set(accessKey, decision.access);
    },
  };
}

export type AuthGate = ReturnType<typeof createAuthGate>;
