/**
 * buf plugin (buf.gen.yaml, strategy: all): writes idport.openapi.json for the REST paths of
 * every file buf asks to generate. Built on @bufbuild/protoplugin's Plugin contract and runner.
 */
import { create, createFileRegistry } from '@bufbuild/protobuf';
import { CodeGeneratorResponse_Feature, CodeGeneratorResponseSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { type Plugin, runNodeJs } from '@bufbuild/protoplugin';
import { buildOpenApi } from './document.js';

const plugin: Plugin = {
  name: 'protoc-gen-idport-openapi',
  version: 'v1',
  run(request) {
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: request.protoFile }));
    const files = request.fileToGenerate.map((name) => {
      const file = registry.getFile(name);
      if (!file) throw new Error(`buf asked for ${name}, which is not in the request`);
      return file;
    });
    const document = buildOpenApi(files, { title: 'idport', version: 'v1' });
    return create(CodeGeneratorResponseSchema, {
      supportedFeatures: BigInt(CodeGeneratorResponse_Feature.PROTO3_OPTIONAL),
      file: [{ name: 'idport.openapi.json', content: `${JSON.stringify(document, null, 2)}\n` }],
    });
  },
};

runNodeJs(plugin);
