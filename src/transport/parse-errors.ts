import type { UniversalServerResponse } from '@connectrpc/connect/protocol';

/**
 * connect-es reports a request body that is not valid protobuf binary as INTERNAL ("parse
 * binary: …"), because it cannot tell a bad request from its own failure. It is the client's
 * fault, so we answer INVALID_ARGUMENT, as connect-go does: in Connect's error JSON body, and
 * in gRPC's status (headers or trailers).
 */
const isParseFailure = (h: Headers | undefined) =>
  h?.get('grpc-status') === '13' && decodeURIComponent(h.get('grpc-message') ?? '').startsWith('parse binary');

export async function clientParseErrors(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  if (isParseFailure(res.header)) {
    res.header?.set('grpc-status', '3');
    return res;
  }
  if (res.trailer && res.body) {
    // gRPC: the status travels in trailers, filled in once the body has been produced.
    const { body, trailer } = res;
    return {
      ...res,
      body: (async function* () {
        yield* body;
        if (isParseFailure(trailer)) trailer.set('grpc-status', '3');
      })(),
    };
  }
  if (res.status !== 500 || !res.header?.get('content-type')?.startsWith('application/json') || !res.body) return res;
  const chunks: Uint8Array[] = [];
  for await (const chunk of res.body) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  let body: { code?: string; message?: string } | undefined;
  try {
    body = JSON.parse(text) as { code?: string; message?: string };
  } catch {
    body = undefined;
  }
  if (body?.code === 'internal' && body.message?.startsWith('parse binary')) {
    const fixed = Buffer.from(JSON.stringify({ code: 'invalid_argument', message: body.message }));
    res.header.set('content-length', String(fixed.length));
    return {
      ...res,
      status: 400,
      body: (async function* () {
        yield fixed;
      })(),
    };
  }
  return {
    ...res,
    body: (async function* () {
      yield Buffer.from(text);
    })(),
  };
}
