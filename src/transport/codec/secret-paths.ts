import { type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';
import { DataOrgSchema } from '../../../gen/zitadel/admin_pb.js';
import { ORG_KIND, RESOURCE_KINDS } from '../../domain/resources/kinds.js';
import { SPLIT_SECRET_FIELDS } from '../../domain/resources/prepare.js';
import type { SecretFieldPaths } from '../../domain/sealed-secret.js';
import { isSecretField } from '../observability/redact.js';

/** Scalars whose proto-JSON is a string (bytes as base64): what a sealed value can stand in for. */
const isStringScalar = (scalar: ScalarType) => scalar === ScalarType.STRING || scalar === ScalarType.BYTES;

function isStringField(field: DescField): boolean {
  if (field.fieldKind === 'scalar') return isStringScalar(field.scalar);
  return field.fieldKind === 'list' && field.listKind === 'scalar' && isStringScalar(field.scalar);
}

/**
 * The paths of every field marked `(idport.options.v1.secret) = true` under `message`, by JSON
 * name (lists are crossed element by element, maps add `*`). A secret that is not a string (or
 * a list of strings) is refused: sealing replaces a value with a string, and a message-typed
 * secret would have to be marked on its string fields instead.
 */
function secretPaths(message: DescMessage, prefix: readonly string[], stack: Set<string>, fields = message.fields): string[][] {
  if (stack.has(message.typeName)) return [];
  stack.add(message.typeName);
  const out: string[][] = [];
  for (const field of fields) {
    const path = [...prefix, field.jsonName];
    if (isSecretField(field)) {
      if (!isStringField(field)) {
        throw new Error(`${message.typeName}.${field.name} is marked secret but is not a string field: mark its string fields instead`);
      }
      out.push(path);
    } else if (field.fieldKind === 'message' || (field.fieldKind === 'list' && field.listKind === 'message')) {
      out.push(...secretPaths(field.message, path, stack));
    } else if (field.fieldKind === 'map' && field.mapKind === 'message') {
      out.push(...secretPaths(field.message, [...path, '*'], stack));
    }
  }
  stack.delete(message.typeName);
  return out;
}

const splitOff = (kind: string, path: readonly string[]) =>
  (SPLIT_SECRET_FIELDS[kind] ?? []).some((split) => `${path.join('.')}.`.startsWith(`${split}.`));

/**
 * Where each resource kind's stored payload holds secrets, read from the admin.v1 DataOrg
 * descriptor: persistence seals these fields, so marking a field secret in the proto is all a
 * new secret needs. Fields the importer moves out of the payload (SPLIT_SECRET_FIELDS) are
 * left out. The org head is DataOrg's own fields that no resource kind claims.
 */
export function secretFieldPaths(schema: DescMessage = DataOrgSchema): SecretFieldPaths {
  const out: Record<string, string[][]> = {};
  const claimed = new Set<string>();
  for (const kind of RESOURCE_KINDS) {
    const field = schema.fields.find((f) => f.jsonName === kind.field);
    if (!field) throw new Error(`DataOrg has no field ${kind.field} (resource kind ${kind.type})`);
    claimed.add(field.jsonName);
    const message =
      field.fieldKind === 'message' || (field.fieldKind === 'list' && field.listKind === 'message') ? field.message : undefined;
    const paths = message ? secretPaths(message, [], new Set()) : [];
    out[kind.type] = paths.filter((p) => !splitOff(kind.type, p));
  }
  const head = schema.fields.filter((f) => !claimed.has(f.jsonName));
  out[ORG_KIND.type] = secretPaths(schema, [], new Set(), head);
  return out;
}
