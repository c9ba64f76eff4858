import {
  type DescEnum,
  type DescField,
  type DescFile,
  type DescMessage,
  type DescMethod,
  getOption,
  hasOption,
  ScalarType,
} from '@bufbuild/protobuf';
import { getComments } from '@bufbuild/protoplugin';
import { http } from '../../gen/google/api/annotations_pb.js';
import { auth_option } from '../../gen/zitadel/options_pb.js';

/**
 * Builds an OpenAPI 3.1 document for every REST path of the `google.api.http` rules in `files`:
 * each path with its request (body and path/query parameters) and response schemas, derived
 * from the messages by the protojson mapping idport's REST gateway speaks (64-bit integers and
 * bytes as strings, enums by name, well-known types in their JSON forms).
 */
type Schema = Record<string, unknown>;

const INT64 = new Set([ScalarType.INT64, ScalarType.UINT64, ScalarType.SINT64, ScalarType.FIXED64, ScalarType.SFIXED64]);

/** protojson forms of the well-known types (protobuf.dev/programming-guides/json). */
const WELL_KNOWN: Record<string, Schema> = {
  'google.protobuf.Timestamp': { type: 'string', format: 'date-time' },
  'google.protobuf.Duration': { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]{1,9})?s$', examples: ['30s'] },
  'google.protobuf.Struct': { type: 'object', additionalProperties: true },
  'google.protobuf.Value': {},
  'google.protobuf.ListValue': { type: 'array', items: {} },
  'google.protobuf.Empty': { type: 'object' },
  'google.protobuf.FieldMask': { type: 'string' },
  'google.protobuf.Any': { type: 'object', properties: { '@type': { type: 'string' } }, additionalProperties: true },
  'google.protobuf.StringValue': { type: 'string' },
  'google.protobuf.BoolValue': { type: 'boolean' },
  'google.protobuf.Int32Value': { type: 'integer', format: 'int32' },
  'google.protobuf.UInt32Value': { type: 'integer', format: 'int32' },
  'google.protobuf.Int64Value': { type: 'string', format: 'int64' },
  'google.protobuf.UInt64Value': { type: 'string', format: 'int64' },
  'google.protobuf.DoubleValue': { type: 'number' },
  'google.protobuf.FloatValue': { type: 'number' },
  'google.protobuf.BytesValue': { type: 'string', format: 'byte' },
};

/** grpc-gateway's error body, which idport's REST paths answer with (and ZITADEL's clients parse). */
const ERROR_SCHEMA: Schema = {
  type: 'object',
  description: 'grpc-gateway error body: the gRPC code (number), its message and details (google.protobuf.Any JSON).',
  properties: {
    code: { type: 'integer', format: 'int32' },
    message: { type: 'string' },
    details: { type: 'array', items: { $ref: '#/components/schemas/google.protobuf.Any' } },
  },
  required: ['code', 'message'],
};

function describe(desc: DescMessage | DescField | DescEnum | DescMethod): string | undefined {
  const text = getComments(desc).leading?.trim();
  return text ? text.replace(/\n /g, '\n') : undefined;
}

export function buildOpenApi(files: readonly DescFile[], info: { title: string; version: string }): Schema {
  const schemas = new Map<string, Schema>();
  const ref = (typeName: string) => ({ $ref: `#/components/schemas/${typeName}` });

  const addEnum = (e: DescEnum) => {
    if (schemas.has(e.typeName)) return;
    schemas.set(e.typeName, { type: 'string', enum: e.values.map((v) => v.name), ...withDescription(describe(e)) });
  };
  const addMessage = (m: DescMessage): void => {
    if (schemas.has(m.typeName)) return;
    const known = WELL_KNOWN[m.typeName];
    if (known) {
      schemas.set(m.typeName, known);
      return;
    }
    const schema: Schema = { type: 'object', ...withDescription(describe(m)) };
    schemas.set(m.typeName, schema); // before the fields: messages can refer to themselves
    const properties: Record<string, Schema> = {};
    for (const f of m.fields) properties[f.jsonName] = { ...fieldSchema(f), ...withDescription(describe(f)) };
    schema.properties = properties;
    if (m.oneofs.length) {
      const notes = m.oneofs.map((o) => `at most one of ${o.fields.map((f) => f.jsonName).join(', ')}`);
      schema.description = [schema.description, `Oneofs: ${notes.join('; ')}.`].filter(Boolean).join('\n\n');
    }
  };
  const valueSchema = (
    kind: 'scalar' | 'enum' | 'message',
    f: { scalar?: ScalarType | undefined; enum?: DescEnum | undefined; message?: DescMessage | undefined },
  ): Schema => {
    if (kind === 'enum' && f.enum) {
      addEnum(f.enum);
      return ref(f.enum.typeName);
    }
    if (kind === 'message' && f.message) {
      addMessage(f.message);
      return ref(f.message.typeName);
    }
    return scalarSchema(f.scalar ?? ScalarType.STRING);
  };
  const fieldSchema = (f: DescField): Schema => {
    switch (f.fieldKind) {
      case 'list':
        return { type: 'array', items: valueSchema(f.listKind, f) };
      case 'map':
        return { type: 'object', additionalProperties: valueSchema(f.mapKind, f) };
      case 'enum':
        return valueSchema('enum', f);
      case 'message':
        return valueSchema('message', f);
      default:
        return valueSchema('scalar', f);
    }
  };
  addMessage({ typeName: 'google.protobuf.Any' } as DescMessage);

  const paths: Record<string, Record<string, Schema>> = {};
  for (const file of files) {
    for (const service of file.services) {
      for (const method of service.methods) {
        if (!hasOption(method, http)) continue;
        const rule = getOption(method, http);
        for (const binding of [rule, ...rule.additionalBindings]) {
          if (binding.pattern.case === undefined || binding.pattern.case === 'custom') continue;
          const template = binding.pattern.value;
          const pathFields = [...template.matchAll(/\{([\w.]+)(=[^}]*)?\}/g)].map((m) => m[1] as string);
          const path = template.replace(/\{([\w.]+)(=[^}]*)?\}/g, '{$1}');
          addMessage(method.input);
          addMessage(method.output);
          const parameters: Schema[] = pathFields.map((name) => ({
            name,
            in: 'path',
            required: true,
            schema: topField(method.input, name) ? fieldSchema(topField(method.input, name)!) : { type: 'string' },
          }));
          if (binding.body === '') {
            // No body: every other top-level scalar or enum field may come as a query parameter.
            for (const f of method.input.fields) {
              if (pathFields.includes(f.name) || f.fieldKind === 'message' || f.fieldKind === 'map') continue;
              parameters.push({ name: f.jsonName, in: 'query', required: false, schema: fieldSchema(f), ...withDescription(describe(f)) });
            }
          }
          const permission = hasOption(method, auth_option) ? getOption(method, auth_option).permission : '';
          const operation: Schema = {
            operationId: `${service.name}_${method.name}`,
            tags: [service.typeName],
            ...withDescription(describe(method)),
            ...(permission === 'none' ? { security: [] } : { 'x-idport-permission': permission }),
            ...(parameters.length ? { parameters } : {}),
            ...(binding.body === ''
              ? {}
              : {
                  requestBody: {
                    required: true,
                    content: {
                      'application/json': { schema: binding.body === '*' ? ref(method.input.typeName) : bodyField(method, binding.body) },
                    },
                  },
                }),
            responses: {
              '200':
                method.methodKind === 'server_streaming'
                  ? {
                      // grpc-gateway's stream: one JSON object per line, the message under "result".
                      description: 'OK: newline-delimited JSON, one {"result": message} per line; a failure ends it with {"error": Status}',
                      content: {
                        'application/x-ndjson': {
                          schema: {
                            type: 'object',
                            properties: { result: ref(method.output.typeName), error: { $ref: '#/components/schemas/Status' } },
                          },
                        },
                      },
                    }
                  : { description: 'OK', content: { 'application/json': { schema: ref(method.output.typeName) } } },
              default: {
                description: 'An error (grpc-gateway body)',
                content: { 'application/json': { schema: { $ref: '#/components/schemas/Status' } } },
              },
            },
          };
          paths[path] ??= {};
          paths[path][binding.pattern.case] = operation;
        }
      }
    }
  }
  schemas.set('Status', ERROR_SCHEMA);
  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description:
        'REST paths of idport (ZITADEL admin wire contract and idport extensions), generated from the protos by scripts/openapi.',
    },
    servers: [{ url: 'http://127.0.0.1:8080' }],
    security: [{ bearerAuth: [] }],
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'A personal access token (PAT).' } },
      schemas: Object.fromEntries([...schemas].sort(([a], [b]) => a.localeCompare(b))),
    },
  };
}

function topField(message: DescMessage, name: string): DescField | undefined {
  return message.fields.find((f) => f.name === name);
}

function bodyField(method: DescMethod, name: string): Schema {
  const f = topField(method.input, name);
  if (f?.message) return { $ref: `#/components/schemas/${f.message.typeName}` };
  return { type: 'object' };
}

function scalarSchema(scalar: ScalarType): Schema {
  if (INT64.has(scalar)) return { type: 'string', format: 'int64' };
  switch (scalar) {
    case ScalarType.BOOL:
      return { type: 'boolean' };
    case ScalarType.STRING:
      return { type: 'string' };
    case ScalarType.BYTES:
      return { type: 'string', format: 'byte' };
    case ScalarType.FLOAT:
    case ScalarType.DOUBLE:
      return { type: 'number' };
    default:
      return { type: 'integer', format: 'int32' };
  }
}

function withDescription(text: string | undefined): Schema {
  return text ? { description: text } : {};
}
