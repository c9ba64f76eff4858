import { fromJson } from '@bufbuild/protobuf';
import { type DataOrg, DataOrgSchema } from '../../../gen/zitadel/admin_pb.js';
import type { OpenedBlob } from '../../application/ports.js';
import { invalidArgument } from '../../domain/errors.js';
import { indexExportFile } from './file-index.js';
import { readIndexedOrgs } from './org-reader.js';

const FROM_JSON = { ignoreUnknownFields: true } as const;

/**
 * An export file's orgs as admin.v1 DataOrg messages, for the CLIs (`idport import FILE`, the
 * migration's GCS detour): the file is read once to check and index it, then org by org by
 * offset, each list item by item. An org is held as one message (what its consumer sends on),
 * never as one JSON string, so no org size limit applies. A file that is not an export, or an
 * org or item that is not a valid DataOrg, is DomainError InvalidArgument.
 */
export async function* exportFileOrgs(blob: OpenedBlob): AsyncGenerator<DataOrg> {
  const index = await indexExportFile(blob.bytes);
  for await (const decoded of readIndexedOrgs(index, blob.file(), 'admin')) {
    if ('error' in decoded) throw invalidArgument('IMPORT-org-decode', `org ${decoded.orgId}: ${decoded.error}`);
    const org = fromJson(DataOrgSchema, decoded.org.head, FROM_JSON);
    for (const field of DataOrgSchema.fields) {
      if (field.fieldKind !== 'list' || field.listKind !== 'message') continue;
      const list = (org as unknown as Record<string, unknown[]>)[field.localName] as unknown[];
      for await (const batch of decoded.org.items(field.jsonName)) {
        const bad = batch.failed[0];
        if (bad) throw invalidArgument('IMPORT-item-decode', `org ${org.orgId}, ${field.jsonName}: ${bad.message}`);
        for (const item of batch.items) list.push(fromJson(field.message, item, FROM_JSON));
      }
    }
    yield org;
  }
}
