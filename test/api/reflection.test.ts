import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { create, createFileRegistry, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import type { ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { Health } from '../../gen/grpc/health/v1/health_pb.js';
import * as v1 from '../../gen/grpc/reflection/v1/reflection_pb.js';
import * as v1alpha from '../../gen/grpc/reflection/v1alpha/reflection_pb.js';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { ManagementService } from '../../gen/zitadel/management_pb.js';
import { registerHealth } from '../../src/transport/health.js';
import { registerReflection } from '../../src/transport/reflection.js';
import { createGrpcClient } from '../support/grpc-client.js';

// What grpcurl and `buf curl` do: discover the services over reflection, fetch the files, and
// build descriptors from nothing but the bytes the server sent.
function routes(router: ConnectRouter): void {
  const services = [AdminService, ManagementService];
  router.service(AdminService, {});
  router.service(ManagementService, {});
  registerHealth(router, services);
  registerReflection(router, [...services, Health]);
}

let server: http2.Http2Server;
let address: string;

beforeAll(async () => {
  server = http2.createServer(connectNodeAdapter({ routes }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

type Request = MessageInitShape<typeof v1.ServerReflectionRequestSchema>;
type Response = v1.ServerReflectionResponse;
type Version = 'v1' | 'v1alpha';

/** Sends the requests on one stream (as grpcurl does) and answers in v1 types for either version. */
async function reflect(version: Version, requests: Request[]): Promise<Response[]> {
  const v1Requests = requests.map((r) => create(v1.ServerReflectionRequestSchema, r));
  if (version === 'v1') {
    return collect(createGrpcClient(v1.ServerReflection, address), v1Requests);
  }
  // Same messages under another package: translate through the wire format.
  const responses = await collect(
    createGrpcClient(v1alpha.ServerReflection, address),
    v1Requests.map((r) => recode(v1.ServerReflectionRequestSchema, v1alpha.ServerReflectionRequestSchema, r)),
  );
  return responses.map((r) => recode(v1alpha.ServerReflectionResponseSchema, v1.ServerReflectionResponseSchema, r));
}

function recode<A extends DescMessage, B extends DescMessage>(from: A, to: B, message: MessageShape<A>): MessageShape<B> {
  return fromBinary(to, toBinary(from, message));
}

async function collect<I, O>(
  client: { serverReflectionInfo(requests: I[]): AsyncIterable<O>; close(): void },
  requests: I[],
): Promise<O[]> {
  try {
    const responses: O[] = [];
    for await (const response of client.serverReflectionInfo(requests)) {
      responses.push(response);
    }
    return responses;
  } finally {
    client.close();
  }
}

async function ask(request: Request, version: Version = 'v1'): Promise<Response> {
  const [response, ...rest] = await reflect(version, [request]);
  expect(rest).toHaveLength(0);
  return response!;
}

function filesOf(response: Response): FileDescriptorProto[] {
  if (response.messageResponse.case !== 'fileDescriptorResponse') {
    throw new Error(`expected files, got ${JSON.stringify(response.messageResponse)}`);
  }
  const { fileDescriptorProto } = response.messageResponse.value;
  return fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
}

/** A FileDescriptorSet must list imports before importers; the server sends the asked-for file first. */
function dependencyOrder(files: FileDescriptorProto[]): FileDescriptorProto[] {
  const byName = new Map(files.map((f) => [f.name, f]));
  const ordered = new Map<string, FileDescriptorProto>();
  const visit = (f: FileDescriptorProto): void => {
    if (ordered.has(f.name)) {
      return;
    }
    for (const dep of f.dependency) {
      const imported = byName.get(dep);
      if (imported === undefined) {
        throw new Error(`${f.name} imports ${dep}, which the server did not send`);
      }
      visit(imported);
    }
    ordered.set(f.name, f);
  };
  files.forEach(visit);
  return [...ordered.values()];
}

describe.each(['v1', 'v1alpha'] as const)('grpc.reflection.%s.ServerReflection over grpc-js', (version) => {
  test('list_services names every served service, reflection and health included', async () => {
    const response = await ask({ messageRequest: { case: 'listServices', value: '' } }, version);
    expect(response.messageResponse.case).toBe('listServicesResponse');
    const names = response.messageResponse.case === 'listServicesResponse' ? response.messageResponse.value.service.map((s) => s.name) : [];
    expect(names.sort()).toEqual([
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
      'grpc.reflection.v1alpha.ServerReflection',
      'zitadel.admin.v1.AdminService',
      'zitadel.management.v1.ManagementService',
    ]);
  });

  test('file_containing_symbol for a service returns a complete, buildable file set', async () => {
    const files = filesOf(await ask({ messageRequest: { case: 'fileContainingSymbol', value: 'zitadel.admin.v1.AdminService' } }, version));
    const names = files.map((f) => f.name);
    expect(names[0]).toBe('zitadel/admin.proto');
    expect(names).toEqual(expect.arrayContaining(['zitadel/management.proto', 'google/protobuf/descriptor.proto']));
    expect(new Set(names).size).toBe(names.length);

    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: dependencyOrder(files) }));
    const admin = registry.getService('zitadel.admin.v1.AdminService');
    const exportData = admin?.methods.find((m) => m.name === 'ExportData');
    expect(exportData?.input.typeName).toBe('zitadel.admin.v1.ExportDataRequest');
    expect(exportData?.output.typeName).toBe('zitadel.admin.v1.ExportDataResponse');
  });
});

describe('reflection lookups (v1)', () => {
  test.each([
    ['a message', 'zitadel.v1.v1.DataHumanUser', 'zitadel/v1.proto'],
    ['a method', 'zitadel.admin.v1.AdminService.ExportData', 'zitadel/admin.proto'],
    ['a nested message', 'zitadel.admin.v1.ImportDataRequest.GCSInput', 'zitadel/admin.proto'],
    ['a field', 'zitadel.admin.v1.ExportDataRequest.with_passwords', 'zitadel/admin.proto'],
    ['an extension', 'zitadel.v1.auth_option', 'zitadel/options.proto'],
    ['the health service', 'grpc.health.v1.Health', 'grpc/health/v1/health.proto'],
    ['its own service', 'grpc.reflection.v1alpha.ServerReflection', 'grpc/reflection/v1alpha/reflection.proto'],
  ])('file_containing_symbol for %s (%s) answers %s first', async (_kind, symbol, file) => {
    const files = filesOf(await ask({ messageRequest: { case: 'fileContainingSymbol', value: symbol } }));
    expect(files[0]?.name).toBe(file);
  });

  test('file_by_filename returns the file and its imports', async () => {
    const files = filesOf(await ask({ messageRequest: { case: 'fileByFilename', value: 'zitadel/options.proto' } }));
    expect(files.map((f) => f.name)).toEqual(['zitadel/options.proto', 'google/protobuf/descriptor.proto']);
  });

  test('file_containing_extension finds the zitadel and google.api method options', async () => {
    for (const [extensionNumber, file] of [
      [50000, 'zitadel/options.proto'],
      [72295728, 'google/api/annotations.proto'],
    ] as const) {
      const files = filesOf(
        await ask({
          messageRequest: {
            case: 'fileContainingExtension',
            value: { containingType: 'google.protobuf.MethodOptions', extensionNumber },
          },
        }),
      );
      expect(files[0]?.name).toBe(file);
    }
  });

  test('all_extension_numbers_of_type lists the method options', async () => {
    const response = await ask({
      messageRequest: { case: 'allExtensionNumbersOfType', value: 'google.protobuf.MethodOptions' },
    });
    expect(response.messageResponse).toMatchObject({
      case: 'allExtensionNumbersResponse',
      value: { baseTypeName: 'google.protobuf.MethodOptions' },
    });
    if (response.messageResponse.case === 'allExtensionNumbersResponse') {
      expect([...response.messageResponse.value.extensionNumber].sort()).toEqual([50000, 72295728]);
    }
  });

  test('unknown names are answered with error_response NOT_FOUND and the stream goes on', async () => {
    const requests: Request[] = [
      { host: 'idport.test', messageRequest: { case: 'fileContainingSymbol', value: 'no.such.Symbol' } },
      { messageRequest: { case: 'fileByFilename', value: 'no/such.proto' } },
      {
        messageRequest: {
          case: 'fileContainingExtension',
          value: { containingType: 'google.protobuf.MethodOptions', extensionNumber: 1 },
        },
      },
      { messageRequest: { case: 'allExtensionNumbersOfType', value: 'no.such.Message' } },
      { messageRequest: { case: 'listServices', value: '' } },
    ];
    const responses = await reflect('v1', requests);
    expect(responses.map((r) => r.messageResponse.case)).toEqual([
      'errorResponse',
      'errorResponse',
      'errorResponse',
      'errorResponse',
      'listServicesResponse',
    ]);
    for (const response of responses.slice(0, 4)) {
      expect(response.messageResponse.value).toMatchObject({ errorCode: 5 });
    }
    // The original request and host are echoed, so a pipelining client can match answers.
    expect(responses[0]?.validHost).toBe('idport.test');
    expect(responses[0]?.originalRequest?.messageRequest).toEqual({
      case: 'fileContainingSymbol',
      value: 'no.such.Symbol',
    });
  });
});
