/** src/blob/local-file.ts on a real temp directory, plus the kind dispatch in blob-storage.ts. */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BlobTarget } from '../../../src/application/ports.js';
import { createBlobStorage } from '../../../src/blob/blob-storage.js';
import { createLocalBlobStorage } from '../../../src/blob/local-file.js';
import { chunksOf, domainErrorOf, readAll } from '../../support/blob-streams.js';

const MiB = 1024 * 1024;
let base: string;
let exportDir: string;
let importDir: string;
let outside: string;

beforeEach(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'idport-blob-'));
  exportDir = path.join(base, 'exports');
  importDir = path.join(base, 'imports');
  outside = path.join(base, 'outside');
  await Promise.all([mkdir(importDir), mkdir(outside)]);
});

afterEach(() => rm(base, { recursive: true, force: true }));

const local = (p: string): Extract<BlobTarget, { kind: 'local' }> => ({ kind: 'local', path: p });
const signal = () => AbortSignal.timeout(10_000);

const tiny = () => chunksOf(Buffer.from('{}'), 1);

/** Every file under `dir`, relative, temp files included. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

test('writes into exportDir (creating directories) and reads from importDir', async () => {
  const storage = createLocalBlobStorage({ exportDir, importDir });
  const data = randomBytes(5 * MiB + 3);
  await storage.write(local('2024/org-1/export.json'), chunksOf(data, 700_000), signal());
  expect((await readFile(path.join(exportDir, '2024/org-1/export.json'))).equals(data)).toBe(true);
  expect(await listFiles(exportDir)).toEqual(['2024/org-1/export.json']);

  // Reads look in importDir only.
  const notYet = await domainErrorOf(readAll(storage.read(local('2024/org-1/export.json'), signal())));
  expect(notYet).toMatchObject({ kind: 'NotFound' });
  await mkdir(path.join(importDir, '2024/org-1'), { recursive: true });
  await writeFile(path.join(importDir, '2024/org-1/export.json'), data);
  expect((await readAll(storage.read(local('2024/org-1/export.json'), signal()))).equals(data)).toBe(true);
});

test('round trip through one directory, overwriting an existing file', async () => {
  const storage = createLocalBlobStorage({ exportDir: importDir, importDir });
  await storage.write(local('a.json'), chunksOf(Buffer.from('old'), 1), signal());
  await storage.write(local('a.json'), chunksOf(Buffer.from('{"new":true}'), 4), signal());
  expect((await readAll(storage.read(local('a.json'), signal()))).toString()).toBe('{"new":true}');
});

describe('paths that leave their directory → InvalidArgument', () => {
  const escapes = ['../x', '/etc/passwd', 'a/../../x', '..', '.', '', 'dir/', 'nul\0byte'];

  test.each(escapes)('write %j', async (p) => {
    const storage = createLocalBlobStorage({ exportDir, importDir });
    const error = await domainErrorOf(storage.write(local(p), tiny(), signal()));
    expect(error).toMatchObject({ kind: 'InvalidArgument', id: 'BLOB-local-path' });
    expect(await listFiles(base)).toEqual([]);
  });

  test.each(escapes)('read %j', async (p) => {
    const storage = createLocalBlobStorage({ exportDir, importDir });
    expect(await domainErrorOf(readAll(storage.read(local(p), signal())))).toMatchObject({ kind: 'InvalidArgument' });
  });

  test('a path that stays inside despite ".." is fine', async () => {
    const storage = createLocalBlobStorage({ exportDir, importDir });
    await storage.write(local('a/../b.json'), chunksOf(Buffer.from('{}'), 1), signal());
    expect(await listFiles(exportDir)).toEqual(['b.json']);
  });

  test('a symlinked directory pointing outside is refused for write and read', async () => {
    await mkdir(exportDir);
    await symlink(outside, path.join(exportDir, 'link'));
    await symlink(outside, path.join(importDir, 'link'));
    await writeFile(path.join(outside, 'secret.json'), 'secret');
    const storage = createLocalBlobStorage({ exportDir, importDir });

    for (const p of ['link/x.json', 'link/new/x.json']) {
      const error = await domainErrorOf(storage.write(local(p), tiny(), signal()));
      expect(error).toMatchObject({ kind: 'InvalidArgument' });
    }
    expect(await listFiles(outside)).toEqual(['secret.json']);
    const readError = await domainErrorOf(readAll(storage.read(local('link/secret.json'), signal())));
    expect(readError).toMatchObject({ kind: 'InvalidArgument' });
  });

  test('a symlinked file pointing outside is refused for read', async () => {
    await writeFile(path.join(outside, 'secret.json'), 'secret');
    await symlink(path.join(outside, 'secret.json'), path.join(importDir, 'innocent.json'));
    const storage = createLocalBlobStorage({ exportDir, importDir });
    const error = await domainErrorOf(readAll(storage.read(local('innocent.json'), signal())));
    expect(error).toMatchObject({ kind: 'InvalidArgument' });
  });
});

describe('atomic writes', () => {
  test('abort mid-write → DeadlineExceeded; no temp file, and the old file is untouched', async () => {
    const storage = createLocalBlobStorage({ exportDir, importDir });
    await storage.write(local('out/a.json'), chunksOf(Buffer.from('previous'), 100), signal());
    const controller = new AbortController();
    let sent = 0;
    async function* stalls(): AsyncGenerator<Uint8Array> {
      for (; sent < 3; sent++) yield randomBytes(MiB);
      await new Promise(() => undefined);
    }
    const writing = storage.write(local('out/a.json'), stalls(), controller.signal);
    // Gate: the temp file exists while writing (the source has handed over its bytes).
    while (sent < 3 || (await listFiles(exportDir)).length < 2) await new Promise((r) => setImmediate(r));
    expect((await listFiles(exportDir)).length).toBe(2);
    controller.abort();
    expect(await domainErrorOf(writing)).toMatchObject({ kind: 'DeadlineExceeded', id: 'BLOB-deadline' });
    expect(await listFiles(exportDir)).toEqual(['out/a.json']);
    expect((await readFile(path.join(exportDir, 'out/a.json'))).toString()).toBe('previous');
  });

  test("a failing source's own error passes through, and no file is left", async () => {
    const storage = createLocalBlobStorage({ exportDir, importDir });
    const boom = new Error('source broke');
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('{"partial":');
      throw boom;
    }
    await expect(storage.write(local('b.json'), failing(), signal())).rejects.toBe(boom);
    expect(await listFiles(exportDir)).toEqual([]);
  });

  test('writing onto a directory → InvalidArgument, no temp file left', async () => {
    await mkdir(path.join(exportDir, 'taken'), { recursive: true });
    const storage = createLocalBlobStorage({ exportDir, importDir });
    const error = await domainErrorOf(storage.write(local('taken'), tiny(), signal()));
    expect(error).toMatchObject({ kind: 'InvalidArgument' });
    expect(await listFiles(exportDir)).toEqual([]);
  });
});

test('describe answers size, mtime and inode without reading; a rewrite or a replacement changes it', async () => {
  const blob = createLocalBlobStorage({ exportDir, importDir });
  await writeFile(path.join(importDir, 'seen.json'), '{"orgs":[]}');
  const first = await blob.describe(local('seen.json'), signal());
  expect(first).toEqual({ size: '11', mtimeNs: expect.stringMatching(/^\d+$/), inode: expect.stringMatching(/^\d+$/) });
  expect(await blob.describe(local('seen.json'), signal())).toEqual(first);
  await writeFile(path.join(importDir, 'seen.json'), '{"orgs":[1]}');
  expect(await blob.describe(local('seen.json'), signal())).toMatchObject({ size: '12' });
  // Renamed into place with the same size: another inode.
  await writeFile(path.join(importDir, 'next.json'), '{"orgs":[2]}');
  const before = await blob.describe(local('seen.json'), signal());
  await rename(path.join(importDir, 'next.json'), path.join(importDir, 'seen.json'));
  expect((await blob.describe(local('seen.json'), signal())).inode).not.toBe(before.inode);
  expect(await domainErrorOf(blob.describe(local('absent.json'), signal()))).toMatchObject({ kind: 'NotFound' });
  expect(await domainErrorOf(blob.describe(local('../escape.json'), signal()))).toMatchObject({ kind: 'InvalidArgument' });
});

test('missing file → NotFound, naming only the relative path', async () => {
  const storage = createLocalBlobStorage({ exportDir, importDir });
  const error = await domainErrorOf(readAll(storage.read(local('nope/missing.json'), signal())));
  expect(error).toMatchObject({ kind: 'NotFound', id: 'BLOB-local-not-found' });
  expect(error.message).not.toContain(base);
});

test('abort mid-read → DeadlineExceeded', async () => {
  await writeFile(path.join(importDir, 'big.json'), randomBytes(4 * MiB));
  const storage = createLocalBlobStorage({ exportDir, importDir });
  const controller = new AbortController();
  const reading = (async () => {
    for await (const _chunk of storage.read(local('big.json'), controller.signal)) controller.abort();
  })();
  expect(await domainErrorOf(reading)).toMatchObject({ kind: 'DeadlineExceeded' });
});

test('createBlobStorage sends each target to the adapter for its kind', async () => {
  const calls: string[] = [];
  /** An adapter that records its calls and reads back `from <kind>`. */
  type Named = { bucket: string; path: string };
  const recorder = (kind: string) => ({
    check(target: Named) {
      calls.push(`${kind} check ${target.bucket}/${target.path}`);
    },
    async write(target: Named) {
      calls.push(`${kind} write ${target.bucket}/${target.path}`);
    },
    async *read(target: Named) {
      calls.push(`${kind} read ${target.bucket}/${target.path}`);
      yield Buffer.from(`from ${kind}`);
    },
    async describe(target: Named) {
      calls.push(`${kind} describe ${target.bucket}/${target.path}`);
      return { from: kind };
    },
  });
  const storage = createBlobStorage({
    gcs: recorder('gcs'),
    s3: recorder('s3'),
    local: createLocalBlobStorage({ exportDir: importDir, importDir }),
  });
  const gcsTarget: BlobTarget = { kind: 'gcs', bucket: 'b', path: 'p', serviceAccountJsonBase64: 'x' };
  const s3Target: BlobTarget = { kind: 's3', endpoint: 'e', ssl: true, bucket: 'sb', path: 'sp', accessKeyId: 'k', secretAccessKey: 's' };

  storage.check(gcsTarget);
  await storage.write(gcsTarget, tiny(), signal());
  expect((await readAll(storage.read(gcsTarget, signal()))).toString()).toBe('from gcs');
  storage.check(s3Target);
  await storage.write(s3Target, tiny(), signal());
  expect((await readAll(storage.read(s3Target, signal()))).toString()).toBe('from s3');
  await storage.write(local('l.json'), chunksOf(Buffer.from('local'), 2), signal());
  expect((await readAll(storage.read(local('l.json'), signal()))).toString()).toBe('local');
  expect(() => storage.check(local('../escape'))).toThrow(expect.objectContaining({ kind: 'InvalidArgument' }));
  expect(calls).toEqual(['gcs check b/p', 'gcs write b/p', 'gcs read b/p', 's3 check sb/sp', 's3 write sb/sp', 's3 read sb/sp']);
  expect([await storage.describe(gcsTarget, signal()), await storage.describe(s3Target, signal())]).toEqual([
    { from: 'gcs' },
    { from: 's3' },
  ]);
  expect(calls.slice(-2)).toEqual(['gcs describe b/p', 's3 describe sb/sp']);
  expect(await storage.describe(local('l.json'), signal())).toMatchObject({ size: '5' });
});

test('only regular files are read: a FIFO is refused at once, even with no writer (issue 9)', async () => {
  const { execFileSync } = await import('node:child_process');
  execFileSync('mkfifo', [path.join(importDir, 'pipe.json')]);
  const storage = createLocalBlobStorage({ exportDir, importDir });
  const err = await domainErrorOf(readAll(storage.read(local('pipe.json'), signal())));
  expect(err).toMatchObject({ kind: 'InvalidArgument', id: 'BLOB-local-not-regular' });
});
