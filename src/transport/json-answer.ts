import { pipeline, Readable, type Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { create, type DescMessage, type DescMethod, type Message } from '@bufbuild/protobuf';
import { Code, ConnectError, type ContextValues, createContextKey, type Interceptor } from '@connectrpc/connect';
import { type Compression, compressionNegotiate, createAsyncIterable, type UniversalServerResponse } from '@connectrpc/connect/protocol';
import {
  codeToHttpStatus,
  contentTypeUnaryJson,
  errorToJsonBytes,
  headerContentType,
  headerUnaryAcceptEncoding,
  headerUnaryContentLength,
  headerUnaryEncoding,
  parseContentType,
} from '@connectrpc/connect/protocol-connect';
import { universalResponseToNodeResponse } from '@connectrpc/connect-node';
import { protoJsonPieces, utf8Chunks } from './codec/proto-json-stream.js';
import type { NodeServerResponse } from './node-types.js';

/** Where the outermost interceptor leaves a unary call's answer, for the transport to write as JSON itself. */
export interface AnswerSlot {
  answer?: { schema: DescMessage; message: Message };
}

const answerKey = createContextKey<AnswerSlot | undefined>(undefined, { description: 'answer written as streamed JSON' });

/** The size of the Buffers the answer is written in; the socket's back-pressure is awaited between them. */
const CHUNK_BYTES = 256 * 1024;

/** Compression streams by Connect's encoding names (connect-node's compressionGzip / compressionBrotli, default options). */
const COMPRESSING_STREAMS: Readonly<Record<string, () => Transform>> = {
  gzip: () => zlib.createGzip(),
  br: () => zlib.createBrotliCompress(),
};

/**
 * Unary answers written to the HTTP response piece by piece as proto JSON (codec/
 * proto-json-stream.ts) instead of connect-es's toJsonString, which builds the whole JSON tree,
 * then the whole string, then its bytes: an import's answer with every user in it (issue 10).
 *
 * The call still runs through the Connect handler (request gate, interceptors, timeouts, error
 * mapping, headers): the outermost interceptor takes the answer out of the response and hands
 * Connect an empty message to serialize (`{}`), and the transport writes the real answer in its
 * place once Connect has answered 200. Failures never reach the slot, so they answer as before.
 * The bytes are those toJsonString gives; compression as Connect negotiates it from
 * Accept-Encoding (compressMinBytes included); an answer of one chunk keeps its content-length.
 */
export function createJsonAnswers(options: {
  methods: ReadonlySet<DescMethod>;
  acceptCompression: Compression[];
  compressMinBytes: number;
}) {
  /** Outermost: the interceptors inside it (call log, errors) see the real answer. */
  const interceptor: Interceptor = (next) => async (req) => {
    const res = await next(req);
    const slot = req.contextValues.get(answerKey);
    if (!slot || res.stream) return res;
    slot.answer = { schema: req.method.output, message: res.message };
    return { ...res, message: create(req.method.output) };
  };

  /** A slot for this call's answer when it is one of `methods` answered as unary JSON (Connect's content type, or a REST call). */
  function reserve(method: DescMethod, contentType: string | null, values: ContextValues): AnswerSlot | undefined {
    const type = parseContentType(contentType);
    if (!options.methods.has(method) || method.methodKind !== 'unary' || !type || type.binary || type.stream) return undefined;
    const slot: AnswerSlot = {};
    values.set(answerKey, slot);
    return slot;
  }

  /** Connect's response with the slot's answer as its body; anything but a 200 with an answer passes unchanged. */
  async function answer(res: UniversalServerResponse, slot: AnswerSlot, acceptEncoding: string | null): Promise<UniversalServerResponse> {
    const found = slot.answer;
    if (res.status !== 200 || !found) return res;
    delete slot.answer;
    for await (const _ of res.body ?? []) {
      // Connect's `{}` for the empty message: nothing to keep.
    }
    const header = new Headers(res.header);
    header.delete(headerUnaryContentLength);
    header.delete(headerUnaryEncoding);
    const compression = compressionNegotiate(options.acceptCompression, null, acceptEncoding, headerUnaryAcceptEncoding).response;
    const chunks = utf8Chunks(protoJsonPieces(found.schema, found.message), CHUNK_BYTES);
    let head: Buffer[];
    try {
      // Up to two chunks before the head: an answer of one is sent as Connect sends it, with its length.
      const first = chunks.next();
      const second = first.done ? first : chunks.next();
      head = [first, second].flatMap((step) => (step.done ? [] : [step.value]));
    } catch (e) {
      return encodeFailure(header, found.schema, e, compression, options.compressMinBytes);
    }
    if (head.length < 2) return whole(header, head[0] ?? Buffer.alloc(0), compression, options.compressMinBytes);
    const stream = compression ? COMPRESSING_STREAMS[compression.name] : undefined;
    if (compression && stream) header.set(headerUnaryEncoding, compression.name);
    async function* plain() {
      yield* head;
      yield* chunks;
    }
    return { status: 200, header, body: stream ? compressed(plain(), stream()) : plain() };
  }

  return { interceptor, reserve, answer };
}

/** One body, compressed as Connect's unary handler compresses it (only from compressMinBytes on). */
async function whole(header: Headers, bytes: Uint8Array, compression: Compression | null, compressMinBytes: number) {
  let body = bytes;
  if (compression && body.byteLength >= compressMinBytes) {
    body = await compression.compress(body);
    header.set(headerUnaryEncoding, compression.name);
  }
  header.set(headerUnaryContentLength, String(body.byteLength));
  return { status: 200, header, body: createAsyncIterable([body]) } satisfies UniversalServerResponse;
}

/** What Connect answers when its JSON serialization throws (connect-es protocol/serialization.js, handler-factory.js). */
function encodeFailure(header: Headers, schema: DescMessage, e: unknown, compression: Compression | null, compressMinBytes: number) {
  const reason = e instanceof Error ? e.message : String(e);
  const error = new ConnectError(`cannot encode ${schema.typeName} to JSON: ${reason}`, Code.Internal);
  header.set(headerContentType, contentTypeUnaryJson);
  return whole(header, errorToJsonBytes(error, {}), compression, compressMinBytes).then((res) => ({
    ...res,
    status: codeToHttpStatus(error.code),
  }));
}

/** The chunks through a compressing stream, read with back-pressure; stopping early destroys both (pipeline). */
async function* compressed(chunks: AsyncIterable<Buffer>, through: Transform): AsyncGenerator<Uint8Array> {
  const out = pipeline(Readable.from(chunks), through, () => {
    // Errors reach the reader below: the pipeline destroys `through` with them.
  });
  yield* out as AsyncIterable<Buffer>;
}

/**
 * Writes an answer (connect-node's writer: head after the first chunk, 'drain' awaited between
 * chunks). Past the head, a failure can only cut the response: the client sees it end early.
 */
export async function writeAnswer(answer: UniversalServerResponse, res: NodeServerResponse): Promise<void> {
  try {
    await universalResponseToNodeResponse(answer, res);
  } catch (e) {
    if (!res.writableEnded) res.destroy();
    throw e;
  }
}
