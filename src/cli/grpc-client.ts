import type {
  DescMessage,
  DescMethodBiDiStreaming,
  DescMethodClientStreaming,
  DescMethodServerStreaming,
  DescMethodUnary,
  DescService,
  MessageInitShape,
  MessageShape,
} from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { type Definition, parseTarget, serviceDefinition } from './grpc-channel.js';

export { type Definition, parseTarget, rootCertificates, serviceDefinition } from './grpc-channel.js';

/**
 * A small @grpc/grpc-js client for one protobuf-es service, for the CLI: server streaming and
 * client streaming, both with backpressure, and every call authenticated with a bearer token.
 * Failures reject or throw a `GrpcError` carrying the status code and its name
 * (`UNAUTHENTICATED`, `NOT_FOUND`, …).
 */

export interface GrpcCallOptions {
  /** Aborting cancels the call (CANCELLED on the server). */
  signal?: AbortSignal;
  deadline?: Date;
  /** Headers besides `authorization` (e.g. ZITADEL's `x-zitadel-orgid`). */
  headers?: Record<string, string>;
}

export interface GrpcClientOptions {
  /** Largest response message accepted (grpc-js answers RESOURCE_EXHAUSTED above it); default unbounded. */
  maxReceiveBytes?: number;
}

/** A failed call: `code` is the gRPC status, `codeName` its name. */
export class GrpcError extends Error {
  readonly code: grpc.status;
  readonly codeName: string;
  readonly details: string;

  constructor(code: grpc.status, details: string, options?: ErrorOptions) {
    const codeName = grpc.status[code] ?? `CODE_${code}`;
    super(details ? `${codeName}: ${details}` : codeName, options);
    this.name = 'GrpcError';
    this.code = code;
    this.codeName = codeName;
    this.details = details;
  }
}

/** grpc-js's own errors (`ServiceError`) as GrpcError; anything else unchanged. */
export function toGrpcError(e: unknown): unknown {
  if (e instanceof GrpcError) return e;
  if (e instanceof Error && typeof (e as Partial<grpc.ServiceError>).code === 'number' && 'metadata' in e) {
    const se = e as grpc.ServiceError;
    return new GrpcError(se.code, se.details ?? '', { cause: e });
  }
  return e;
}

export class GrpcClient<S extends DescService> {
  readonly #client: grpc.Client;
  readonly #definitions: Record<string, Definition>;
  readonly #token: string;

  constructor(service: S, url: string, token: string, options: GrpcClientOptions = {}) {
    const { address, credentials } = parseTarget(url);
    this.#definitions = serviceDefinition(service);
    const Client = grpc.makeGenericClientConstructor(this.#definitions, service.typeName);
    // Export and import messages are bounded by items_per_message or --max-message-bytes, not
    // by grpc-js's 4 MiB default.
    this.#client = new Client(address, credentials, {
      'grpc.max_receive_message_length': options.maxReceiveBytes ?? -1,
      'grpc.max_send_message_length': -1,
    });
    this.#token = token;
  }

  /** A unary call. */
  unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    request: MessageInitShape<I>,
    options: GrpcCallOptions = {},
  ): Promise<MessageShape<O>> {
    const def = this.#definition(method.localName);
    options.signal?.throwIfAborted();
    return new Promise<MessageShape<O>>((resolve, reject) => {
      const call = this.#client.makeUnaryRequest(
        def.path,
        def.requestSerialize,
        def.responseDeserialize,
        request,
        this.#metadata(options.headers),
        callOptions(options),
        (err, res) => {
          options.signal?.removeEventListener('abort', onAbort);
          if (err) reject(toGrpcError(err));
          else resolve(res as MessageShape<O>);
        },
      );
      const onAbort = () => call.cancel();
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** A bidi-streaming call that sends `requests`, ends its side, and collects every response. */
  async bidiCollect<I extends DescMessage, O extends DescMessage>(
    method: DescMethodBiDiStreaming<I, O>,
    requests: MessageInitShape<I>[],
    options: GrpcCallOptions = {},
  ): Promise<MessageShape<O>[]> {
    const def = this.#definition(method.localName);
    const call = this.#client.makeBidiStreamRequest(
      def.path,
      def.requestSerialize,
      def.responseDeserialize,
      this.#metadata(options.headers),
      callOptions(options),
    );
    for (const r of requests) call.write(r);
    call.end();
    const out: MessageShape<O>[] = [];
    try {
      for await (const message of call) out.push(message as MessageShape<O>);
    } catch (e) {
      throw toGrpcError(e);
    }
    return out;
  }

  /** Closes the channel (open HTTP/2 sessions keep the process alive). */
  close(): void {
    this.#client.close();
  }

  /**
   * The responses of a server-streaming call, read as they are consumed: grpc-js asks for the
   * next message only when the iterator does, so a slow consumer slows the server down (HTTP/2
   * flow control). Stopping early (break, throw) cancels the call.
   */
  async *serverStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodServerStreaming<I, O>,
    request: MessageInitShape<I>,
    options: GrpcCallOptions = {},
  ): AsyncGenerator<MessageShape<O>> {
    const def = this.#definition(method.localName);
    options.signal?.throwIfAborted();
    const call = this.#client.makeServerStreamRequest(
      def.path,
      def.requestSerialize,
      def.responseDeserialize,
      request,
      this.#metadata(options.headers),
      callOptions(options),
    );
    const onAbort = () => call.cancel();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let done = false;
    try {
      for await (const message of call) {
        yield message as MessageShape<O>;
      }
      done = true;
    } catch (e) {
      done = true;
      throw toGrpcError(e);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      if (!done) {
        // The consumer stopped early: end the RPC on the server too, and swallow the
        // CANCELLED status grpc-js then emits.
        call.on('error', () => {});
        call.cancel();
      }
    }
  }

  /**
   * A client-streaming call fed from `requests`: each request is written once the previous
   * one is accepted by the transport (waits for 'drain'), so no more than a message or two is
   * held here. When `requests` throws, the call is cancelled and the promise rejects with that
   * error; when the call ends early (the server failed), `requests` is closed (`return()`).
   */
  clientStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodClientStreaming<I, O>,
    requests: AsyncIterable<MessageInitShape<I>>,
    options: GrpcCallOptions = {},
  ): Promise<MessageShape<O>> {
    const def = this.#definition(method.localName);
    return new Promise<MessageShape<O>>((resolve, reject) => {
      let settled = false;
      let wake: (() => void) | undefined;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        options.signal?.removeEventListener('abort', onAbort);
        wake?.();
        fn();
      };
      const call = this.#client.makeClientStreamRequest(
        def.path,
        def.requestSerialize,
        def.responseDeserialize,
        this.#metadata(options.headers),
        callOptions(options),
        (err, res) => settle(() => (err ? reject(toGrpcError(err)) : resolve(res as MessageShape<O>))),
      );
      const onAbort = () => call.cancel();
      if (options.signal?.aborted) call.cancel();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
      call.on('drain', () => wake?.());

      const pump = async () => {
        const iterator = requests[Symbol.asyncIterator]();
        let exhausted = false;
        try {
          while (!settled) {
            const step = await iterator.next();
            if (step.done) {
              exhausted = true;
              break;
            }
            if (settled) break;
            if (!call.write(step.value)) {
              await new Promise<void>((r) => {
                wake = r;
              });
              wake = undefined;
            }
          }
          if (!settled) call.end();
        } catch (e) {
          exhausted = true;
          // The request source failed: the server must not commit a partial stream.
          call.on('error', () => {});
          call.cancel();
          settle(() => reject(e));
        } finally {
          if (!exhausted) await iterator.return?.();
        }
      };
      void pump();
    });
  }

  #definition(localName: string): Definition {
    const def = this.#definitions[localName];
    if (!def) throw new Error(`no method ${localName}`);
    return def;
  }

  #metadata(headers: Record<string, string> = {}): grpc.Metadata {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${this.#token}`);
    for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
    return metadata;
  }
}

function callOptions(options: GrpcCallOptions): grpc.CallOptions {
  return options.deadline === undefined ? {} : { deadline: options.deadline };
}
