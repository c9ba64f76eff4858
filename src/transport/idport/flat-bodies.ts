import type { DescMessage, JsonObject } from '@bufbuild/protobuf';
import { ExportDataRequestSchema, ImportDataRequestSchema } from '../../../gen/zitadel/admin_pb.js';

/**
 * MigrationService.ImportData, StartImport and StartExport take ZITADEL's request under
 * `request` (the imports idport's `options` beside it). A caller who posts ZITADEL's own
 * ImportDataRequest or ExportDataRequest as the whole JSON body, as to `/admin/v1/import` or
 * `/admin/v1/export`, means the same thing: such a body (no `request`, some field of ZITADEL's
 * message) is moved under `request`, leaving `options` where it is. Anything else is left for
 * the decoder to judge.
 */
function wrapFlat(schema: DescMessage) {
  const names = new Set(schema.fields.flatMap((f) => [f.name, f.jsonName]));
  return (body: JsonObject): JsonObject => {
    if ('request' in body) return body;
    const { options, ...rest } = body;
    if (!Object.keys(rest).some((k) => names.has(k))) return body;
    return options === undefined ? { request: rest } : { request: rest, options };
  };
}

export const flatImportBody = wrapFlat(ImportDataRequestSchema);
export const flatExportBody = wrapFlat(ExportDataRequestSchema);
