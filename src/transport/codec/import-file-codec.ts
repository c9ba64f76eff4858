import type { ImportFileCodec } from '../../application/ports.js';
import { FileIndex, indexExportFile } from './file-index.js';
import { readIndexedOrgs } from './org-reader.js';

/**
 * The import file codec (ports.ts ImportFileCodec): one read that checks and indexes the file
 * (file-index.ts over json-grammar.ts), then orgs read from it by the index (org-reader.ts).
 * No org size limit: an org is never held whole, only its head and one batch of items.
 */
export function createImportFileCodec(): ImportFileCodec {
  return {
    index: (bytes) => indexExportFile(bytes),
    orgs(index, file, declared) {
      if (!(index instanceof FileIndex)) throw new Error('ImportFileCodec.orgs: the index must come from this codec');
      return readIndexedOrgs(index, file, declared);
    },
  };
}
