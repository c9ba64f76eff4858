import { getCACertificates } from 'node:tls';
import type { DescMessage, DescService, MessageInitShape } from '@bufbuild/protobuf';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';

export type Definition = grpc.MethodDefinition<unknown, unknown>;

/** Where and how to connect, from an `http://host:port` (plaintext h2c) or `https://host:port` (TLS) URL. */
export function parseTarget(url: string): { address: string; credentials: grpc.ChannelCredentials } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`not a URL: ${JSON.stringify(url)} (expected http://host:port or https://host:port)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`unsupported scheme ${parsed.protocol} in ${parsed.origin} (expected http:// or https://)`);
  }
  if (parsed.pathname !== '/' && parsed.pathname !== '') {
    throw new Error(`a gRPC target has no path: use ${parsed.origin}`);
  }
  const tls = parsed.protocol === 'https:';
  const port = parsed.port || (tls ? '443' : '80');
  return {
    address: `${parsed.hostname}:${port}`,
    credentials: tls ? grpc.credentials.createSsl(rootCertificates()) : grpc.credentials.createInsecure(),
  };
}

/**
 * The CAs a TLS connection trusts: Node's default set (its bundled Mozilla roots plus
 * NODE_EXTRA_CA_CERTS) and the operating system's store, so a ZITADEL behind a company CA that
 * the machine trusts works as it does in curl. grpc-js alone would use only Node's bundled set.
 */
export function rootCertificates(): Buffer {
  const pems = new Set([...getCACertificates('default'), ...getCACertificates('system')]);
  return Buffer.from([...pems].join('\n'));
}

/** The grpc-js service definition, with protobuf-es doing the (de)serialisation. */
export function serviceDefinition(service: DescService): Record<string, Definition> {
  const codec = (schema: DescMessage) => ({
    serialize: (value: unknown) => Buffer.from(toBinary(schema, create(schema, value as MessageInitShape<DescMessage>))),
    deserialize: (bytes: Buffer) => fromBinary(schema, bytes),
  });
  return Object.fromEntries(
    service.methods.map((method): [string, Definition] => {
      const input = codec(method.input);
      const output = codec(method.output);
      return [
        method.localName,
        {
          path: `/${service.typeName}/${method.name}`,
          originalName: method.name,
          requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
          responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
          requestSerialize: input.serialize,
          requestDeserialize: input.deserialize,
          responseSerialize: output.serialize,
          responseDeserialize: output.deserialize,
        },
      ];
    }),
  );
}
