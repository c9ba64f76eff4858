import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

// STYLE.md habit 11: the layer rule in biome.json is known to work because this test watches
// it refuse an import that crosses a layer, and accept one that does not.
const run = promisify(execFile);
const biome = new URL('../../node_modules/.bin/biome', import.meta.url).pathname;

async function lint(path: string, source: string): Promise<{ ok: boolean; output: string }> {
  const file = new URL(`../../${path}`, import.meta.url).pathname;
  await writeFile(file, source);
  try {
    const { stdout, stderr } = await run(biome, ['lint', '--colors=off', path], { cwd: new URL('../..', import.meta.url).pathname });
    return { ok: true, output: stdout + stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  } finally {
    await rm(file, { force: true });
  }
}

test.each([
  ['src/domain/zz-layer-probe.ts', "import { listen } from '../transport/server.js';\nexport const probe = listen;\n"],
  ['src/application/zz-layer-probe.ts', "import { openDatabase } from '../persistence/orm.js';\nexport const probe = openDatabase;\n"],
  ['src/transport/zz-layer-probe.ts', "import { openDatabase } from '../persistence/orm.js';\nexport const probe = openDatabase;\n"],
  // The S3 SDK is blob/'s alone.
  ['src/transport/zz-layer-probe.ts', "import { S3Client } from '@aws-sdk/client-s3';\nexport const probe = S3Client;\n"],
  ['src/application/zz-layer-probe.ts', "import { S3Client } from '@aws-sdk/client-s3';\nexport const probe = S3Client;\n"],
  ['src/persistence/zz-layer-probe.ts', "import { S3Client } from '@aws-sdk/client-s3';\nexport const probe = S3Client;\n"],
  ['src/zz-layer-probe.ts', "import { Upload } from '@aws-sdk/lib-storage';\nexport const probe = Upload;\n"],
])('%s may not import across layers', async (path, source) => {
  const result = await lint(path, source);
  expect(result.ok).toBe(false);
  expect(result.output).toContain('noRestrictedImports');
});

test('blob/ may use the S3 SDK', async () => {
  const result = await lint(
    'src/blob/zz-layer-probe.ts',
    "import { S3Client } from '@aws-sdk/client-s3';\nexport const probe = S3Client;\n",
  );
  expect(result).toMatchObject({ ok: true });
});

test('an import along the layers passes', async () => {
  const result = await lint(
    'src/application/zz-layer-probe.ts',
    "import { newId } from '../domain/ids.js';\nexport const probe = newId;\n",
  );
  expect(result).toMatchObject({ ok: true });
});
