import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { ManagementService } from '../../gen/zitadel/management_pb.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type Caller, type CallResult, createCaller } from '../support/protocols.js';

// First start and restart on one database: PGlite in a temp directory, or a fresh database
// on DATABASE_URL's server. The two starts run in order inside one test file.
let database: TestDatabase;
let dir: string;
let tokenFile: string;
let first: TestApp | undefined;
let second: TestApp | undefined;

beforeAll(async () => {
  database = await createTestDatabase({ onDisk: true });
  dir = await mkdtemp(join(tmpdir(), 'idport-bootstrap-'));
  tokenFile = join(dir, 'secrets', 'admin.pat');
});

afterAll(async () => {
  await first?.close();
  await second?.close();
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
});

function expectOk(result: CallResult): JsonObject {
  if (!result.ok) throw new Error(`expected success, got ${Code[result.code]}: ${result.message}`);
  return result.json;
}

async function withCaller<T>(app: TestApp, use: (caller: Caller) => Promise<T>): Promise<T> {
  const caller = createCaller('connect-json', app.url);
  try {
    return await use(caller);
  } finally {
    caller.close();
  }
}

const listOrgs = (caller: Caller, token: string) => caller.call(AdminService.method.listOrgs, {}, { token });

describe('bootstrap', () => {
  let firstToken: string;

  test('the first start creates the default org, the admin user and a token file only its owner can read', async () => {
    first = await startTestApp({ database: database.config, adminTokenFile: tokenFile });
    expect(first.bootstrapToken).toEqual(expect.stringMatching(/^\S{20,}$/));
    firstToken = first.bootstrapToken as string;

    expect(await readFile(tokenFile, 'utf8')).toBe(`${firstToken}\n`);
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);

    await withCaller(first, async (caller) => {
      const orgs = expectOk(await listOrgs(caller, firstToken));
      expect(orgs.result).toEqual([expect.objectContaining({ name: 'idport', state: 'ORG_STATE_ACTIVE' })]);
      // The admin holds IAM_OWNER: it may grant instance roles, which needs iam.member.write.
      const added = expectOk(
        await caller.call(ManagementService.method.addMachineUser, { userName: 'second-admin', name: 'x' }, { token: firstToken }),
      );
      expectOk(
        await caller.call(
          AdminService.method.addIAMMember,
          { userId: added.userId as string, roles: ['IAM_OWNER'] },
          { token: firstToken },
        ),
      );
    });

    await first.close();
    first = undefined;
  });

  test('a restart on the same database changes nothing: no new token, the old one works, one org', async () => {
    expect(firstToken).toBeDefined();
    second = await startTestApp({ database: database.config, adminTokenFile: tokenFile });
    expect(second.bootstrapToken).toBeUndefined();
    expect(await readFile(tokenFile, 'utf8')).toBe(`${firstToken}\n`);
    expect(second.token).toBe(firstToken);

    await withCaller(second, async (caller) => {
      const orgs = expectOk(await listOrgs(caller, firstToken));
      expect(orgs.result).toEqual([expect.objectContaining({ name: 'idport' })]);
      expect((orgs.details as JsonObject).totalResult).toBe('1');
      // Data written before the restart is still there (the user name is taken).
      const again = await caller.call(
        ManagementService.method.addMachineUser,
        { userName: 'second-admin', name: 'x' },
        { token: firstToken },
      );
      expect(again).toMatchObject({ ok: false, code: Code.AlreadyExists });
    });
  });
});
