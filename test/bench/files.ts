/**
 * Files the benchmark prepares before any timer starts: the import file (ZITADEL's
 * ExportDataResponse JSON) and the COPY reference's per-table row files.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { copyBatches } from './copy-rows.js';
import type { Dataset } from './dataset.js';

async function write(out: WriteStream, text: string) {
  if (!out.write(text)) await once(out, 'drain');
}

async function finish(out: WriteStream) {
  out.end();
  await once(out, 'finish');
}

/**
 * Writes `{"orgs":[DataOrg…]}`, one list entry at a time: a single org of a million users is
 * larger than one V8 string may be, so no org is ever stringified whole.
 */
export async function writeImportFile(dataset: Dataset, path: string): Promise<number> {
  const out = createWriteStream(path);
  await write(out, '{"orgs":[');
  let orgIndex = 0;
  for (const org of dataset.orgs()) {
    await write(out, orgIndex++ ? ',{' : '{');
    let fieldIndex = 0;
    for (const [field, value] of Object.entries(org)) {
      const prefix = `${fieldIndex++ ? ',' : ''}${JSON.stringify(field)}:`;
      if (!Array.isArray(value)) {
        await write(out, `${prefix}${JSON.stringify(value)}`);
        continue;
      }
      await write(out, `${prefix}[`);
      // Joined in slices: one write per entry would make the writer, not the data, the cost.
      for (let i = 0; i < value.length; i += 1000) {
        await write(
          out,
          `${i ? ',' : ''}${value
            .slice(i, i + 1000)
            .map((v) => JSON.stringify(v))
            .join(',')}`,
        );
      }
      await write(out, ']');
    }
    await write(out, '}');
  }
  await write(out, ']}');
  await finish(out);
  return orgIndex;
}

/** One COPY target: a table, its columns and the file holding its rows in COPY text format. */
export interface CopyFile {
  table: string;
  columns: string[];
  path: string;
  rows: number;
}

/**
 * Builds, before any timing, the rows idport stores for the dataset (copy-rows.ts), one file per
 * table and column list, in the order the tables are first written (parents before children).
 */
export async function writeCopyFiles(dataset: Dataset, dir: string): Promise<CopyFile[]> {
  const files = new Map<string, CopyFile & { out: WriteStream }>();
  for (const org of dataset.orgs()) {
    for (const batch of copyBatches(org as never)) {
      const key = `${batch.table}(${batch.columns.join(',')})`;
      let file = files.get(key);
      if (!file) {
        const path = join(dir, `copy-${files.size}-${batch.table}.tsv`);
        file = { table: batch.table, columns: batch.columns, path, rows: 0, out: createWriteStream(path) };
        files.set(key, file);
      }
      file.rows += batch.lines.length;
      for (let i = 0; i < batch.lines.length; i += 1000) await write(file.out, `${batch.lines.slice(i, i + 1000).join('\n')}\n`);
    }
  }
  const result: CopyFile[] = [];
  for (const { out, ...file } of files.values()) {
    await finish(out);
    result.push(file);
  }
  return result;
}
