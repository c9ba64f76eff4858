import { ConnectError, type Interceptor } from '@connectrpc/connect';
import { codeToString } from '@connectrpc/connect/protocol-connect';
import type { Logger } from '../../log.js';
import { accessKey } from '../interceptors/auth.interceptor.js';
import { currentCall } from './call-record.js';
import { redactMessage } from './redact.js';

/**
 * Outermost interceptor: names the RPC on the call record (REST calls reach the same handler,
 * so they get the RPC's name too), notes the caller once auth has run, and the final code and
 * error id, after the errors interceptor has turned any failure into a ConnectError. At debug
 * level it logs unary requests and responses, redacted by their protos (no secret field, ever).
 */
export function createCallInterceptor(log: Logger): Interceptor {
  const debug = log.debug && log.enabled?.('debug') ? log.debug : undefined;
  return (next) => async (req) => {
    const call = currentCall();
    const method = `${req.service.typeName}/${req.method.name}`;
    if (call) call.method = method;
    const fields = () => ({ requestId: call?.requestId, method });
    if (debug && !req.stream) debug('request', { ...fields(), message: redactMessage(req.method.input, req.message) });
    const noteCaller = () => {
      const principal = req.contextValues.get(accessKey).principal;
      if (call && principal) call.principalId = principal.userId;
    };
    const fail = (e: unknown) => {
      noteCaller();
      const err = ConnectError.from(e);
      if (call) {
        call.code = codeToString(err.code);
        call.errorId = err.metadata.get('x-idport-error-id') ?? undefined;
      }
      return err;
    };
    let res: Awaited<ReturnType<typeof next>>;
    try {
      res = await next(req);
    } catch (e) {
      throw fail(e);
    }
    noteCaller();
    if (!res.stream) {
      if (call) call.code = 'ok';
      if (debug) debug('response', { ...fields(), message: redactMessage(req.method.output, res.message) });
      return res;
    }
    const messages = res.message;
    return {
      ...res,
      message: (async function* () {
        try {
          yield* messages;
          if (call) call.code = 'ok';
        } catch (e) {
          throw fail(e);
        }
      })(),
    };
  };
}
