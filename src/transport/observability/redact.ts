import { type DescField, type DescMessage, getOption, hasOption, type JsonValue, type Message } from '@bufbuild/protobuf';
import { secret } from '../../../gen/idport/options/v1/options_pb.js';

/** What a log line shows instead of a field marked `(idport.options.v1.secret) = true`. */
export const REDACTED = '[REDACTED]';

/** Debug lines describe a message; they never dump a million users. */
const MAX_LIST_ITEMS = 3;
const MAX_STRING_CHARS = 200;

/** Whether the proto marks this field as secret (hashes, OTP seeds, tokens, credentials). */
export function isSecretField(field: DescField): boolean {
  return hasOption(field, secret) && getOption(field, secret);
}

/**
 * A loggable view of a message, by reflection over its descriptor: every field marked secret
 * becomes "[REDACTED]" at any depth (inside lists, maps and oneofs too), lists are cut to their
 * first items plus a count, long strings are cut, bytes show only their length. Unset fields are
 * left out. The descriptor, not a list of names, decides what is secret, so a secret field added
 * to a proto is redacted once it carries the option (test/unit/transport/redact.test.ts checks
 * that every secret-looking field does).
 */
export function redactMessage(schema: DescMessage, message: Message): JsonValue {
  const out: Record<string, JsonValue> = {};
  const record = message as unknown as Record<string, unknown>;
  for (const field of schema.fields) {
    const value = field.oneof ? oneofValue(record[field.oneof.localName], field) : record[field.localName];
    if (!isPresent(value)) continue;
    out[field.jsonName] = isSecretField(field) ? REDACTED : redactField(field, value);
  }
  return out;
}

function oneofValue(oneof: unknown, field: DescField): unknown {
  const o = oneof as { case?: string; value?: unknown } | undefined;
  return o?.case === field.localName ? o.value : undefined;
}

function isPresent(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === false || value === 0 || value === 0n) return false;
  if (Array.isArray(value) || value instanceof Uint8Array) return value.length > 0;
  if (typeof value === 'object' && value.constructor === Object && !('$typeName' in value)) return Object.keys(value).length > 0;
  return true;
}

function redactField(field: DescField, value: unknown): JsonValue {
  switch (field.fieldKind) {
    case 'list': {
      const items = value as unknown[];
      const shown = items
        .slice(0, MAX_LIST_ITEMS)
        .map((v) => (field.listKind === 'message' ? redactMessage(field.message, v as Message) : scalar(v)));
      if (items.length > MAX_LIST_ITEMS) shown.push(`… ${items.length - MAX_LIST_ITEMS} more`);
      return shown;
    }
    case 'map': {
      const out: Record<string, JsonValue> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        out[k] = field.mapKind === 'message' ? redactMessage(field.message, v as Message) : scalar(v);
      }
      return out;
    }
    case 'message':
      return redactMessage(field.message, value as Message);
    default:
      return scalar(value);
  }
}

function scalar(value: unknown): JsonValue {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (typeof value === 'string' && value.length > MAX_STRING_CHARS) return `${value.slice(0, MAX_STRING_CHARS)}… (${value.length} chars)`;
  return value as JsonValue;
}
