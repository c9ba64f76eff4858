import type {
  DescMessage,
  DescMethod,
  DescMethodBiDiStreaming,
  DescMethodClientStreaming,
  DescMethodServerStreaming,
  DescMethodUnary,
  DescService,
  MessageInitShape,
  MessageShape,
} from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { type Definition, serviceDefinition } from '../../src/cli/grpc-client.js';

/**
 * A @grpc/grpc-js client for any protobuf-es service, so API tests can prove idport speaks
 * real gRPC (grpc-js is the client most of our users' tooling is built on) and not only the
 * Connect protocol that connect-es clients would use.
 */

/** Per-call options. `metadata` carries headers such as `authorization`. */
export interface GrpcCallOptions {
  metadata?: grpc.Metadata;
  deadline?: grpc.Deadline;
}

type Requests<I extends DescMessage> = Iterable<MessageInitShape<I>> | AsyncIterable<MessageInitShape<I>>;

/**
 * One method per RPC, keyed by its protobuf-es `localName` (`exportData`, `check`, …).
 * Unary and client-streaming calls return promises; streaming responses are async iterables
 * (breaking out of the loop cancels the call). Failures reject or throw the grpc-js
 * `ServiceError`, whose `code` is the gRPC status (see `isGrpcError`).
 */
export type GrpcClient<S extends DescService> = {
  [P in keyof S['method']]: S['method'][P] extends DescMethodUnary<infer I, infer O>
    ? (request: MessageInitShape<I>, options?: GrpcCallOptions) => Promise<MessageShape<O>>
    : S['method'][P] extends DescMethodServerStreaming<infer I, infer O>
      ? (request: MessageInitShape<I>, options?: GrpcCallOptions) => AsyncIterable<MessageShape<O>>
      : S['method'][P] extends DescMethodClientStreaming<infer I, infer O>
        ? (requests: Requests<I>, options?: GrpcCallOptions) => Promise<MessageShape<O>>
        : S['method'][P] extends DescMethodBiDiStreaming<infer I, infer O>
          ? (requests: Requests<I>, options?: GrpcCallOptions) => AsyncIterable<MessageShape<O>>
          : never;
} & {
  /** Closes the channel; call it in `afterAll`, or the HTTP/2 session keeps the server open. */
  close(): void;
};

/** Creates a plaintext (h2c) client for `service` at `address` (`host:port`). */
export function createGrpcClient<S extends DescService>(service: S, address: string): GrpcClient<S> {
  const definition = serviceDefinition(service);
  const Client = grpc.makeGenericClientConstructor(definition, service.typeName);
  const client = new Client(address, grpc.credentials.createInsecure());
  const stub: Record<string, unknown> = { close: () => client.close() };
  for (const method of service.methods) {
    if (method.localName in stub) {
      throw new Error(`${service.typeName}.${method.name} collides with the client's own ${method.localName}()`);
    }
    stub[method.localName] = callerFor(client, method, definition[method.localName]!);
  }
  return stub as GrpcClient<S>;
}

/** True for errors grpc-js reports for a failed call; `code` is the gRPC status code. */
export function isGrpcError(e: unknown): e is grpc.ServiceError {
  return e instanceof Error && typeof (e as Partial<grpc.ServiceError>).code === 'number' && 'metadata' in e;
}

function callerFor(client: grpc.Client, method: DescMethod, def: Definition) {
  const { path, requestSerialize: ser, responseDeserialize: de } = def;
  const args = (options: GrpcCallOptions | undefined): [grpc.Metadata, grpc.CallOptions] => [
    options?.metadata ?? new grpc.Metadata(),
    options?.deadline === undefined ? {} : { deadline: options.deadline },
  ];
  switch (method.methodKind) {
    case 'unary':
      return (request: unknown, options?: GrpcCallOptions) =>
        new Promise((resolve, reject) => {
          client.makeUnaryRequest(path, ser, de, request, ...args(options), (err, res) => (err ? reject(err) : resolve(res)));
        });
    case 'server_streaming':
      return (request: unknown, options?: GrpcCallOptions) =>
        responses(client.makeServerStreamRequest(path, ser, de, request, ...args(options)));
    case 'client_streaming':
      return (requests: Requests<DescMessage>, options?: GrpcCallOptions) =>
        new Promise((resolve, reject) => {
          const call = client.makeClientStreamRequest(path, ser, de, ...args(options), (err, res) => (err ? reject(err) : resolve(res)));
          void send(call, requests);
        });
    case 'bidi_streaming':
      return (requests: Requests<DescMessage>, options?: GrpcCallOptions) => {
        const call = client.makeBidiStreamRequest(path, ser, de, ...args(options));
        void send(call, requests);
        return responses(call);
      };
  }
}

/** Writes every request, then half-closes; a failing request source cancels the call. */
async function send(call: grpc.ClientWritableStream<unknown>, requests: Requests<DescMessage>): Promise<void> {
  try {
    for await (const request of requests) {
      call.write(request);
    }
    call.end();
  } catch {
    call.cancel();
  }
}

async function* responses<T>(call: grpc.ClientReadableStream<T>): AsyncGenerator<T> {
  let done = false;
  try {
    for await (const message of call) {
      yield message as T;
    }
    done = true;
  } finally {
    if (!done) {
      // The consumer stopped early (break/return/throw): end the RPC on the server too. The
      // CANCELLED status grpc-js then emits is expected, so it must not become an unhandled
      // 'error' event.
      call.on('error', () => {});
      call.cancel();
    }
  }
}
