import {
  create,
  createRegistry,
  type DescMessage,
  fromJson,
  type JsonObject,
  type JsonValue,
  type Message,
  toJson,
} from '@bufbuild/protobuf';
import { type Any, AnySchema, anyPack, StructSchema } from '@bufbuild/protobuf/wkt';
import type { ConnectError } from '@connectrpc/connect';
import { ErrorDetailSchema } from '../../../gen/zitadel/message_pb.js';
import type { DomainError } from '../../domain/errors.js';

/** The detail types idport sends, so the REST path can render them back as JSON. */
const DETAILS = createRegistry(ErrorDetailSchema, StructSchema);

/**
 * The typed details of a domain error: ZITADEL's `zitadel.v1.ErrorDetail{id, message}` (as
 * zitadel internal/api/grpc/gerrors attaches to every error, so any client can trace the
 * cause by id), and the error's structured facts (a deadline's committed counts) as a
 * `google.protobuf.Struct`.
 */
export function detailsOf(e: DomainError): { desc: DescMessage; value: Message }[] {
  const out: { desc: DescMessage; value: Message }[] = [
    { desc: ErrorDetailSchema, value: create(ErrorDetailSchema, { id: e.id, message: e.message }) },
  ];
  if (e.details) {
    // DomainError.details are plain JSON data by contract; the round trip drops anything else.
    const json = JSON.parse(JSON.stringify(e.details)) as JsonObject;
    out.push({ desc: StructSchema, value: fromJson(StructSchema, json) });
  }
  return out;
}

/**
 * A ConnectError's details as grpc-gateway renders `google.protobuf.Any` in its error body
 * (`{"@type": "type.googleapis.com/zitadel.v1.ErrorDetail", "id": …, "message": …}`), which
 * is what ZITADEL's REST API answers. Details made here (descriptor and message) and details
 * read back from Connect's wire form (type name and bytes) are both handled; types this
 * server does not send are skipped.
 */
export function restDetails(err: ConnectError): JsonValue[] {
  const out: JsonValue[] = [];
  for (const d of err.details) {
    let any: Any;
    if ('desc' in d) {
      any = anyPack(d.desc, create(d.desc, d.value as never));
    } else {
      if (!DETAILS.getMessage(d.type)) continue;
      any = create(AnySchema, { typeUrl: `type.googleapis.com/${d.type}`, value: d.value });
    }
    out.push(toJson(AnySchema, any, { registry: DETAILS }));
  }
  return out;
}
