/**
 * spool.ts: a remote blob read once is copied to a private temp file (0600 in its own 0700
 * directory) that the import then reads by offset, and removed when the import ends.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spoolBlob } from '../../../src/blob/spool.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'spool-test-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function* chunks(...parts: string[]) {
  for (const p of parts) yield Buffer.from(p);
}

test('bytes pass through once, then read back by offset; close removes the copy', async () => {
  const blob = await spoolBlob(chunks('{"orgs":', '[1,2', ',3]}'), root);
  const [dir] = await readdir(root);
  expect((await stat(path.join(root, dir as string))).mode & 0o777).toBe(0o700);
  expect((await stat(path.join(root, dir as string, 'blob'))).mode & 0o777).toBe(0o600);
  expect(() => blob.file()).toThrow(/not read to its end/);
  let passed = '';
  for await (const c of blob.bytes) passed += Buffer.from(c).toString();
  expect(passed).toBe('{"orgs":[1,2,3]}');
  const file = blob.file();
  expect(Buffer.from(await file.read(9, 3)).toString()).toBe('1,2');
  expect(Buffer.from(await file.read(14, 10)).toString()).toBe(']}');
  await blob.close();
  await blob.close();
  expect(await readdir(root)).toEqual([]);
});

test('a source that fails leaves nothing behind once closed', async () => {
  const blob = await spoolBlob(
    (async function* () {
      yield Buffer.from('{"orgs":[');
      throw new Error('connection reset');
    })(),
    root,
  );
  await expect(
    (async () => {
      for await (const _ of blob.bytes) {
        // drain
      }
    })(),
  ).rejects.toThrow('connection reset');
  await blob.close();
  expect(await readdir(root)).toEqual([]);
});
