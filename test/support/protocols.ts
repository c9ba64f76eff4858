import type { DescField, DescMethod, DescService, JsonObject, JsonValue, Message } from '@bufbuild/protobuf';
import { fromJson, toJson } from '@bufbuild/protobuf';
import type { CallOptions, Transport } from '@connectrpc/connect';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcWebTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { Metadata } from '@grpc/grpc-js';
import { compileRestRoutes, type RestRoute } from '../../src/transport/rest-gateway.js';
import { API_SERVICES } from '../../src/transport/routes.js';
import { createGrpcClient, isGrpcError } from './grpc-client.js';

/**
 * Every wire protocol idport serves on its one port. API tests run each case once per entry
 * (STYLE.md habit 13), so a protocol can't silently drift from the others.
 */
export const PROTOCOLS = ['grpc', 'grpc-web', 'connect-json', 'connect-binary', 'rest'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** The protocols whose request body is JSON text a client can get wrong byte by byte. */
export const JSON_PROTOCOLS = ['connect-json', 'rest'] as const satisfies readonly Protocol[];
export type JsonProtocol = (typeof JSON_PROTOCOLS)[number];

export interface CallOpts {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Sent as `x-zitadel-orgid`. */
  orgId?: string;
  /** Extra or overriding headers (lower-case names), e.g. a malformed `authorization`. */
  headers?: Record<string, string>;
}

export type CallResult =
  | { ok: true; json: JsonObject }
  | {
      ok: false;
      code: Code;
      message: string;
      /** REST and raw JSON calls only: the response's HTTP status. */
      httpStatus?: number;
    };

export interface Caller {
  readonly protocol: Protocol;
  /** Calls a unary RPC with a proto-JSON request; the response comes back as proto-JSON too. */
  call(method: DescMethod, request?: JsonObject, opts?: CallOpts): Promise<CallResult>;
  /** Closes the caller's connections (grpc-js channels, HTTP/2 sessions) so jest can exit. */
  close(): void;
}

/** The HTTP status grpc-gateway (and so ZITADEL's REST API) answers for each code. */
export const HTTP_STATUS: Partial<Record<Code, number>> = {
  [Code.InvalidArgument]: 400,
  [Code.FailedPrecondition]: 400,
  [Code.OutOfRange]: 400,
  [Code.Unauthenticated]: 401,
  [Code.PermissionDenied]: 403,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.Aborted]: 409,
  [Code.ResourceExhausted]: 429,
  [Code.Canceled]: 499,
  [Code.Internal]: 500,
  [Code.Unknown]: 500,
  [Code.DataLoss]: 500,
  [Code.Unimplemented]: 501,
  [Code.Unavailable]: 503,
  [Code.DeadlineExceeded]: 504,
};

export function createCaller(protocol: Protocol, baseUrl: string): Caller {
  switch (protocol) {
    case 'grpc':
      return grpcCaller(baseUrl);
    case 'grpc-web':
      return connectClientCaller(protocol, createGrpcWebTransport({ baseUrl, httpVersion: '1.1' }));
    case 'connect-json':
      return connectClientCaller(protocol, createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: false }));
    case 'connect-binary': {
      // Our own session manager, so close() can end the h2c session the transport would keep.
      const sessionManager = new Http2SessionManager(baseUrl);
      const transport = createConnectTransport({ baseUrl, httpVersion: '2', useBinaryFormat: true, sessionManager });
      return connectClientCaller(protocol, transport, () => sessionManager.abort());
    }
    case 'rest':
      return restCaller(baseUrl);
  }
}

/** Creates a caller per protocol; `close()` closes them all. */
export function createCallers(baseUrl: string): Record<Protocol, Caller> & { close(): void } {
  const callers = Object.fromEntries(PROTOCOLS.map((p) => [p, createCaller(p, baseUrl)])) as Record<Protocol, Caller>;
  return {
    ...callers,
    close: () => {
      for (const p of PROTOCOLS) callers[p].close();
    },
  };
}

function headersOf(opts: CallOpts | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (opts?.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts?.orgId !== undefined) headers['x-zitadel-orgid'] = opts.orgId;
  for (const [name, value] of Object.entries(opts?.headers ?? {})) headers[name.toLowerCase()] = value;
  return headers;
}

/** Parses the test's proto-JSON strictly: an unknown field here is a mistake in the test. */
function requestMessage(method: DescMethod, request: JsonObject): Message {
  return fromJson(method.input, request);
}

type UnaryStub = (request: Message, options: unknown) => Promise<Message>;

/** One client per service, made on first use; `stub(method)` is its function for a unary RPC. */
function clientCache(make: (service: DescService) => unknown) {
  const clients = new Map<DescService, unknown>();
  return {
    stub(method: DescMethod): UnaryStub {
      if (method.methodKind !== 'unary') throw new Error(`${method.name} is not unary; the protocol matrix only calls unary RPCs`);
      let client = clients.get(method.parent);
      if (client === undefined) {
        client = make(method.parent);
        clients.set(method.parent, client);
      }
      const methods = client as Record<string, UnaryStub>;
      return methods[method.localName]!.bind(methods);
    },
    clients: () => [...clients.values()],
    clear: () => clients.clear(),
  };
}

function grpcCaller(baseUrl: string): Caller {
  const address = new URL(baseUrl).host;
  const cache = clientCache((service) => createGrpcClient(service, address));
  return {
    protocol: 'grpc',
    async call(method, request = {}, opts) {
      const metadata = new Metadata();
      for (const [name, value] of Object.entries(headersOf(opts))) metadata.set(name, value);
      try {
        const response = await cache.stub(method)(requestMessage(method, request), { metadata });
        return { ok: true, json: toJson(method.output, response) as JsonObject };
      } catch (e) {
        if (!isGrpcError(e)) throw e;
        return { ok: false, code: e.code as number as Code, message: e.details };
      }
    },
    close() {
      for (const client of cache.clients()) (client as { close(): void }).close();
      cache.clear();
    },
  };
}

function connectClientCaller(protocol: Protocol, transport: Transport, closeTransport: () => void = () => {}): Caller {
  const cache = clientCache((service) => createClient(service, transport));
  return {
    protocol,
    async call(method, request = {}, opts) {
      const options: CallOptions = { headers: headersOf(opts) };
      try {
        const response = await cache.stub(method)(requestMessage(method, request), options);
        return { ok: true, json: toJson(method.output, response) as JsonObject };
      } catch (e) {
        const err = ConnectError.from(e);
        return { ok: false, code: err.code, message: err.rawMessage };
      }
    },
    close() {
      cache.clear();
      closeTransport();
    },
  };
}

let restRoutes: Map<DescMethod, RestRoute> | undefined;

/** The `google.api.http` binding the server's REST gateway compiled for `method`. */
export function restRouteOf(method: DescMethod): RestRoute {
  restRoutes ??= new Map(compileRestRoutes(API_SERVICES).map((r) => [r.method, r]));
  const route = restRoutes.get(method);
  if (!route) throw new Error(`${method.parent.typeName}/${method.name} has no REST binding`);
  return route;
}

function fieldOf(method: DescMethod, name: string): DescField | undefined {
  return method.input.fields.find((f) => f.name === name || f.jsonName === name);
}

/**
 * Takes the path variables out of `request` (by proto or JSON name) and fills the route's
 * template with them. The template is recovered from the compiled pattern, and the result is
 * checked against that pattern, so the test reaches exactly the route the server matches.
 */
function restPath(route: RestRoute, request: JsonObject): string {
  const values = route.variables.map((name) => {
    const field = fieldOf(route.method, name);
    if (!field || name.includes('.')) throw new Error(`unsupported path variable ${name}`);
    const value = request[field.jsonName] ?? request[field.name] ?? '';
    delete request[field.jsonName];
    delete request[field.name];
    return encodeURIComponent(String(value));
  });
  let i = 0;
  const template = route.pattern.source
    .replace(/^\^|\$$/g, '')
    .replace(/\(\[\^\\?\/\]\+\)/g, () => `{${i++}}`)
    .replace(/\\(.)/g, '$1');
  const path = template.replace(/\{(\d+)\}/g, (_m, n: string) => values[Number(n)] ?? '');
  if (values.every((v) => v !== '') && !route.pattern.test(path)) {
    throw new Error(`could not rebuild the REST path of ${route.method.name} from ${route.pattern.source}`);
  }
  return path;
}

/** Non-path fields of a body-less route travel as query parameters, as grpc-gateway reads them. */
function queryOf(request: JsonObject): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(request)) {
    if (value !== null && typeof value !== 'object') params.append(name, String(value));
  }
  const query = params.toString();
  return query ? `?${query}` : '';
}

function restCaller(baseUrl: string): Caller {
  return {
    protocol: 'rest',
    async call(method, request = {}, opts) {
      // Check the request the way the other protocols do, then send the test's own JSON.
      requestMessage(method, request);
      const route = restRouteOf(method);
      const body: JsonObject = { ...request };
      const path = restPath(route, body);
      const withBody = route.body === '*';
      return sendHttp(
        `${baseUrl}${path}${withBody ? '' : queryOf(body)}`,
        route.verb,
        withBody ? JSON.stringify(body) : undefined,
        opts,
        'rest',
      );
    },
    close() {},
  };
}

/**
 * Sends `bodyText` unchanged as a JSON request: for malformed-body cases the typed clients
 * can't produce. REST fills its path variables from `pathValues`; Connect posts to the RPC path.
 */
export function sendJsonText(
  protocol: JsonProtocol,
  baseUrl: string,
  method: DescMethod,
  bodyText: string,
  opts: CallOpts & { pathValues?: JsonObject } = {},
): Promise<CallResult> {
  if (protocol === 'rest') {
    const route = restRouteOf(method);
    const path = restPath(route, { ...opts.pathValues });
    return sendHttp(`${baseUrl}${path}`, route.verb, bodyText, opts, 'rest');
  }
  return sendHttp(`${baseUrl}/${method.parent.typeName}/${method.name}`, 'POST', bodyText, opts, 'connect');
}

const CONNECT_CODES: Record<string, Code> = Object.fromEntries(
  Object.entries(Code)
    .filter((e): e is [string, Code] => typeof e[1] === 'number')
    .map(([name, code]) => [name.replace(/(?<!^)[A-Z]/g, (c) => `_${c}`).toLowerCase(), code]),
);

/** Plain HTTP/1.1; error bodies are grpc-gateway's `{code: <number>}` or Connect's `{code: "<name>"}`. */
async function sendHttp(
  url: string,
  verb: string,
  body: string | undefined,
  opts: CallOpts | undefined,
  errorShape: 'rest' | 'connect',
): Promise<CallResult> {
  const headers = headersOf(opts);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(url, { method: verb, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let json: JsonValue;
  try {
    json = text === '' ? {} : (JSON.parse(text) as JsonValue);
  } catch {
    return { ok: false, code: Code.Unknown, message: `not JSON: ${text.slice(0, 200)}`, httpStatus: res.status };
  }
  const object = typeof json === 'object' && json !== null && !Array.isArray(json) ? json : {};
  if (res.ok) return { ok: true, json: object };
  const rawCode = object.code;
  const restCode = typeof rawCode === 'number' && Code[rawCode] !== undefined ? (rawCode as Code) : Code.Unknown;
  const code = errorShape === 'rest' ? restCode : (CONNECT_CODES[String(rawCode)] ?? Code.Unknown);
  return { ok: false, code, message: typeof object.message === 'string' ? object.message : '', httpStatus: res.status };
}
