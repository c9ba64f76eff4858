import { type DescMethod, type DescService, getOption, hasOption, type JsonObject, type JsonValue } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { createAsyncIterable, type UniversalHandler } from '@connectrpc/connect/protocol';
import { codeToHttpStatus, errorFromJsonBytes } from '@connectrpc/connect/protocol-connect';
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from '@connectrpc/connect-node';
import { http } from '../../gen/google/api/annotations_pb.js';
import { isDomainError } from '../domain/errors.js';
import type { AuthGate } from './gate/auth-gate.js';
import { checkJsonBounds, type JsonLimits } from './gate/json-bounds.js';
import { restDetails } from './interceptors/error-details.js';
import { toConnectError } from './interceptors/errors.interceptor.js';
import { type createJsonAnswers, writeAnswer } from './json-answer.js';
import { closeIfBodyUnread, type NodeServerRequest, type NodeServerResponse } from './node-types.js';
import { serveRestStream } from './rest-stream.js';

/** One `google.api.http` binding, compiled. */
export interface RestRoute {
  verb: string;
  pattern: RegExp;
  /** Path variables in order, as proto field names (`user_id`). */
  variables: string[];
  /** "*" = the JSON body is the whole request message. */
  body: string;
  method: DescMethod;
}

export function compileRestRoutes(services: readonly DescService[]): RestRoute[] {
  const routes: RestRoute[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      if (!hasOption(method, http)) continue;
      const rule = getOption(method, http);
      if (rule.pattern.case === undefined || rule.pattern.case === 'custom') continue;
      const variables: string[] = [];
      const source = rule.pattern.value.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([\w.]+)\\?\}/g, (_m, name: string) => {
        variables.push(name);
        return '([^/]+)';
      });
      routes.push({ verb: rule.pattern.case.toUpperCase(), pattern: new RegExp(`^${source}$`), variables, body: rule.body, method });
    }
  }
  // A custom verb (`/jobs/{job_id}:cancel`) is tried before the plain variable path, whose
  // `{job_id}` segment would otherwise take "abc:cancel" as the id (grpc-gateway splits the verb off first).
  return routes.sort((a, b) => Number(hasVerb(b)) - Number(hasVerb(a)));
}

const hasVerb = (route: RestRoute) => /:[\w]+\$$/.test(route.pattern.source);

/** grpc-gateway's error body, which ZITADEL's REST clients parse; details as typed `Any` JSON. */
function gatewayError(err: ConnectError) {
  return JSON.stringify({ code: err.code, message: err.rawMessage, details: restDetails(err) });
}

class BodyTooLarge extends Error {}

async function readBody(req: NodeServerRequest, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Serves the REST paths of the `google.api.http` rules by handing a JSON request to the same
 * Connect handler that serves the RPC: Connect's unary JSON protocol is exactly what a REST
 * call with `body: "*"` carries, so interceptors, auth and errors behave identically.
 * Returns false when no REST route matches.
 */
export function createRestGateway(options: {
  routes: RestRoute[];
  handlers: ReadonlyMap<DescMethod, UniversalHandler>;
  gate: AuthGate;
  maxBodyBytes: number;
  jsonLimits: JsonLimits;
  /** Rewrites applied to a method's parsed JSON body before it is handed on (routeByShape). */
  importRoutes?: ReadonlyMap<DescMethod, (body: JsonObject) => JsonObject>;
  /** The unary answers written as streamed JSON (json-answer.ts). */
  jsonAnswers?: ReturnType<typeof createJsonAnswers>;
}) {
  return async function serveRest(req: NodeServerRequest, res: NodeServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const verb = (req.method ?? 'GET').toUpperCase();
    let matched: { route: RestRoute; values: string[] } | undefined;
    for (const route of options.routes) {
      const m = route.verb === verb ? route.pattern.exec(url.pathname) : null;
      if (m) {
        matched = { route, values: m.slice(1) };
        break;
      }
    }
    if (!matched) return false;
    const { route, values } = matched;
    const handler = options.handlers.get(route.method);
    if (!handler) return false;

    const failWith = (err: ConnectError, status = codeToHttpStatus(err.code)) => {
      closeIfBodyUnread(req, res);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(gatewayError(err));
    };
    const fail = (status: number, code: Code, message: string) => failWith(new ConnectError(message, code), status);

    // Who is calling, from the headers alone: a refused caller's body is never read.
    const decision = await options.gate.decide(route.method, req.headers);
    if (decision.error) {
      failWith(decision.error);
      return true;
    }

    let message: JsonObject = {};
    try {
      const raw = await readBody(req, options.maxBodyBytes);
      if (route.body === '*' && raw.length > 0) {
        // Before JSON.parse/stringify, whose recursion a deeply nested body would overflow.
        checkJsonBounds(raw, options.jsonLimits);
        const parsed = JSON.parse(raw.toString('utf8')) as JsonValue;
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
          fail(400, Code.InvalidArgument, 'request body must be a JSON object');
          return true;
        }
        message = parsed;
        // The migration guide posts an ExportData file (admin DataOrgs) as data_orgsv1; parsed
        // as v1, its admin-only fields would be lost (see codec/data-org-shape.ts).
        message = options.importRoutes?.get(route.method)?.(message) ?? message;
      }
    } catch (e) {
      if (isDomainError(e)) {
        failWith(toConnectError(e));
      } else if (e instanceof BodyTooLarge) {
        fail(
          413,
          Code.ResourceExhausted,
          `request body exceeds ${options.maxBodyBytes} bytes; import large data from GCS or a local file instead`,
        );
      } else {
        fail(400, Code.InvalidArgument, 'request body is not valid JSON');
      }
      return true;
    }
    for (const [name, value] of url.searchParams) bindField(route.method, message, name, value);
    for (const [i, name] of route.variables.entries()) bindField(route.method, message, name, decodeURIComponent(values[i] ?? ''));

    const contextValues = options.gate.contextValues(decision);
    const uReq = universalRequestFromNodeRequest(req, res, message, contextValues);
    if (route.method.methodKind === 'server_streaming') {
      uReq.header.delete('content-length');
      await serveRestStream(handler, uReq, message, new URL(handler.requestPath, url).toString(), res);
      return true;
    }
    uReq.method = 'POST';
    uReq.header.set('content-type', 'application/json');
    uReq.header.delete('content-length');
    // As bytes, not the parsed object: connect-es parses a pre-parsed body without the router's jsonOptions (ignoreUnknownFields).
    const body = createAsyncIterable([new TextEncoder().encode(JSON.stringify(message))]);
    const slot = options.jsonAnswers?.reserve(route.method, 'application/json', contextValues);
    let uRes = await handler({ ...uReq, body, url: new URL(handler.requestPath, url).toString() });
    if (slot && options.jsonAnswers) uRes = await options.jsonAnswers.answer(uRes, slot, uReq.header.get('accept-encoding'));
    if (uRes.status === 200) {
      await (slot ? writeAnswer(uRes, res) : universalResponseToNodeResponse(uRes, res));
      return true;
    }
    // Re-shape Connect's {code:"invalid_argument",...} as grpc-gateway's numeric-code body.
    const chunks: Uint8Array[] = [];
    for await (const c of uRes.body ?? []) chunks.push(c);
    let err: ConnectError;
    try {
      err = errorFromJsonBytes(Buffer.concat(chunks), undefined, new ConnectError('unknown error', Code.Unknown));
    } catch (e) {
      err = ConnectError.from(e);
    }
    failWith(err, uRes.status);
    return true;
  };
}

/** Sets a (possibly dotted) field from a path or query value, by proto or JSON name. */
function bindField(method: DescMethod, message: JsonObject, path: string, value: string) {
  const [head, ...rest] = path.split('.');
  const field = method.input.fields.find((f) => f.name === head || f.jsonName === head);
  if (!field) return;
  delete message[field.name];
  if (rest.length === 0) {
    message[field.jsonName] = value;
    return;
  }
  message[field.jsonName] ??= {};
  const child = message[field.jsonName] as JsonObject;
  child[rest.join('.')] = value;
}
