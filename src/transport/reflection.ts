import type { DescFile, DescMethodBiDiStreaming, DescService, FileRegistry, MessageInitShape } from '@bufbuild/protobuf';
import { create, createFileRegistry, fromBinary, toBinary } from '@bufbuild/protobuf';
import { nestedTypes } from '@bufbuild/protobuf/reflect';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import type { ConnectRouter } from '@connectrpc/connect';
import { Code } from '@connectrpc/connect';
import * as v1 from '../../gen/grpc/reflection/v1/reflection_pb.js';
import * as v1alpha from '../../gen/grpc/reflection/v1alpha/reflection_pb.js';

/**
 * One row per reflection protocol version. grpcurl and `buf curl` try v1 first and fall back
 * to v1alpha (older grpc_cli and Postman only speak v1alpha). The two packages declare the
 * same messages with the same field numbers, so every row is served by the v1 logic below.
 */
const reflectionVersions: readonly DescMethodBiDiStreaming[] = [
  v1.ServerReflection.method.serverReflectionInfo,
  v1alpha.ServerReflection.method.serverReflectionInfo,
];

type ReflectionRequest = v1.ServerReflectionRequest;
type ReflectionAnswer = NonNullable<MessageInitShape<typeof v1.ServerReflectionResponseSchema>['messageResponse']>;

/**
 * Registers gRPC server reflection (grpc/grpc doc/server-reflection.md), v1 and v1alpha, so
 * grpcurl and `buf curl` can call idport without the .proto files.
 *
 * `services` are the services to advertise: pass every service the router serves, including
 * the health service. Both reflection services are added here. Descriptors come from the
 * generated code, so what is advertised is exactly what is compiled in.
 */
export function registerReflection(router: ConnectRouter, services: readonly DescService[]): void {
  const answer = createReflectionAnswerer([...services, ...reflectionVersions.map((m) => m.parent)]);
  for (const method of reflectionVersions) {
    serveVersion(router, method, answer);
  }
}

function serveVersion(
  router: ConnectRouter,
  method: DescMethodBiDiStreaming,
  answer: (request: ReflectionRequest) => v1.ServerReflectionResponse,
): void {
  router.rpc(method, async function* (requests) {
    // Every request gets exactly one response, in order; failures are answered in-band
    // (error_response) so one unknown symbol does not end the client's session.
    for await (const request of requests) {
      // Re-encoding through the wire format converts between the versions without a
      // hand-written mapping; reflection traffic is a handful of small messages per session.
      const response = answer(fromBinary(v1.ServerReflectionRequestSchema, toBinary(method.input, request)));
      yield fromBinary(method.output, toBinary(v1.ServerReflectionResponseSchema, response));
    }
  });
}

/** Builds the lookup tables once, at registration, and returns the per-request answer function. */
function createReflectionAnswerer(services: readonly DescService[]) {
  const registry = createDescriptorRegistry(services);
  const symbols = indexSymbols(registry);
  const serviceNames = [...new Set(services.map((s) => s.typeName))];
  const encoded = new Map<string, Uint8Array>();
  const encode = (file: DescFile): Uint8Array => {
    let bytes = encoded.get(file.name);
    if (bytes === undefined) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      encoded.set(file.name, bytes);
    }
    return bytes;
  };

  // The spec lets a server send a file's dependencies along with it, and clients need them to
  // build descriptors; each response is self-contained (grpc-go instead skips files it already
  // sent on the stream, which breaks clients that treat responses independently).
  const fileResponse = (file: DescFile | undefined, what: string): ReflectionAnswer =>
    file === undefined
      ? notFound(what)
      : { case: 'fileDescriptorResponse', value: { fileDescriptorProto: withDependencies(file).map(encode) } };

  const lookup = (request: ReflectionRequest['messageRequest']): ReflectionAnswer => {
    switch (request.case) {
      case 'listServices':
        return { case: 'listServicesResponse', value: { service: serviceNames.map((name) => ({ name })) } };
      case 'fileByFilename':
        return fileResponse(registry.getFile(request.value), `file ${request.value}`);
      case 'fileContainingSymbol':
        return fileResponse(symbols.get(request.value), `symbol ${request.value}`);
      case 'fileContainingExtension': {
        const { containingType, extensionNumber } = request.value;
        const extendee = registry.getMessage(containingType);
        const extension = extendee && registry.getExtensionFor(extendee, extensionNumber);
        return fileResponse(extension?.file, `extension ${extensionNumber} of ${containingType}`);
      }
      case 'allExtensionNumbersOfType': {
        const extendee = registry.getMessage(request.value);
        if (extendee === undefined) {
          return notFound(`type ${request.value}`);
        }
        const extensionNumber = [...registry].flatMap((t) =>
          t.kind === 'extension' && t.extendee.typeName === extendee.typeName ? [t.number] : [],
        );
        return { case: 'allExtensionNumbersResponse', value: { baseTypeName: extendee.typeName, extensionNumber } };
      }
      case undefined:
        return { case: 'errorResponse', value: { errorCode: Code.InvalidArgument, errorMessage: 'empty request' } };
    }
  };

  return (request: ReflectionRequest): v1.ServerReflectionResponse =>
    create(v1.ServerReflectionResponseSchema, {
      validHost: request.host,
      originalRequest: request,
      messageResponse: lookup(request.messageRequest),
    });
}

function notFound(what: string): ReflectionAnswer {
  // connect's Code numbers are the gRPC status codes, which is what error_code carries.
  return { case: 'errorResponse', value: { errorCode: Code.NotFound, errorMessage: `${what} not found` } };
}

/**
 * A registry of the services' files and everything they import, well-known types included
 * (google/protobuf/descriptor.proto arrives through the option extensions).
 */
function createDescriptorRegistry(services: readonly DescService[]): FileRegistry {
  // A FileDescriptorSet must list dependencies before their dependents: post-order.
  const ordered = new Map<string, DescFile>();
  const visit = (file: DescFile): void => {
    if (ordered.has(file.name)) {
      return;
    }
    for (const dependency of file.dependencies) visit(dependency);
    ordered.set(file.name, file);
  };
  for (const s of services) visit(s.file);
  return createFileRegistry(create(FileDescriptorSetSchema, { file: [...ordered.values()].map((f) => f.proto) }));
}

/** The file and its transitive imports, the file first, each once. */
function withDependencies(file: DescFile): DescFile[] {
  const files = new Map<string, DescFile>();
  const visit = (f: DescFile): void => {
    if (!files.has(f.name)) {
      files.set(f.name, f);
      f.dependencies.forEach(visit);
    }
  };
  visit(file);
  return [...files.values()];
}

/**
 * Fully qualified name → declaring file, for every name protoc would resolve: types, nested
 * types, extensions, services, methods, fields, oneofs and enum values. grpcurl asks for
 * methods by `pkg.Service.Method`, which is not a type and so not in the registry itself.
 */
function indexSymbols(registry: FileRegistry): Map<string, DescFile> {
  const symbols = new Map<string, DescFile>();
  for (const file of registry.files) {
    for (const type of nestedTypes(file)) {
      symbols.set(type.typeName, file);
      const members =
        type.kind === 'message'
          ? [...type.fields, ...type.oneofs].map((m) => `${type.typeName}.${m.name}`)
          : type.kind === 'service'
            ? type.methods.map((m) => `${type.typeName}.${m.name}`)
            : type.kind === 'enum'
              ? // Enum values are scoped like C++ enumerators: siblings of the enum, not children.
                type.values.map((v) => `${scopeOf(type.typeName)}${v.name}`)
              : [];
      for (const name of members) symbols.set(name, file);
    }
  }
  return symbols;
}

function scopeOf(typeName: string): string {
  const dot = typeName.lastIndexOf('.');
  return dot < 0 ? '' : typeName.slice(0, dot + 1);
}
