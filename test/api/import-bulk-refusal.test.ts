/**
 * A new org's rows go in bulk writes, the next kind prepared while the last write closes
 * (application/import/bulk-pipeline.ts). When the database refuses a write (here a user name
 * another org holds), its rows are retried one batch at a time, and whatever was prepared behind
 * it that refers to the refused user is reported as if it had been checked after the refusal:
 * metadata and a machine key fail with it, members and user grants are skipped with the reason,
 * and everything else is imported.
 */
import type { JsonObject } from '@bufbuild/protobuf';
import { startTestApp, type TestApp } from '../support/app.js';
import { errorsOf, expectOk, exportOrgs, importOrgs, successOf } from '../support/import-client.js';
import { dataOrg, humanUser, machineUser, project, projectRole } from '../support/import-data.js';
import { createCaller } from '../support/protocols.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const ids = (list: unknown, field: string) => ((list ?? []) as JsonObject[]).map((e) => String(e[field])).sort();

test('a refused bulk write: its culprit fails, what refers to it is skipped, the rest is imported', async () => {
  const caller = createCaller('connect-json', app.url);
  try {
    const taken = dataOrg('br-a', 'Org br-a', { humanUsers: [humanUser('br-a-u', 'br-shared')] });
    const users = Array.from({ length: 40 }, (_, i) => `br-b-u${String(i).padStart(2, '0')}`);
    const clash = 'br-b-u07';
    const org = dataOrg('br-b', 'Org br-b', {
      humanUsers: users.map((u) => humanUser(u, u === clash ? 'br-shared' : u)),
      machineUsers: [machineUser('br-b-m', 'br-b-m')],
      userMetadata: users.map((u) => ({ id: u, key: 'dept', value: Buffer.from('eng').toString('base64') })),
      projects: [project('br-b-p')],
      projectRoles: [projectRole('br-b-p', 'viewer')],
      userGrants: users.map((u) => ({ userId: u, projectId: 'br-b-p', roleKeys: ['viewer'] })),
      orgMembers: users.slice(0, 10).map((u) => ({ userId: u, roles: ['ORG_OWNER'] })),
    });
    const report = expectOk(await importOrgs(caller, app.token, [taken, org]));

    const skipped = `skipped: depends on user ${clash}: human_user ${clash} was not imported`;
    const errors = errorsOf(report).map((e) => `${e.type} ${e.id} ${/\((IMPORT-[a-z-]+)\)/.exec(e.message)?.[1] ?? e.message}`);
    expect(errors.sort()).toEqual(
      [
        `human_user ${clash} IMPORT-unique`,
        `org_member br-b_${clash} ${skipped}`,
        `user_grant br-b_br-b-p_${clash} ${skipped}`,
        `user_metadata ${clash}_dept ${skipped}`,
      ].sort(),
    );
    const others = users.filter((u) => u !== clash);
    const success = successOf(report, 'br-b');
    expect([...((success.humanUserIds ?? []) as string[])].sort()).toEqual(others);
    expect(((success.userMetadata ?? []) as JsonObject[]).length).toBe(others.length);
    expect(((success.userGrants ?? []) as JsonObject[]).length).toBe(others.length);

    const [stored] = await exportOrgs(caller, app.token, ['br-b']);
    expect(ids(stored?.humanUsers, 'userId')).toEqual(others);
    expect(ids(stored?.userMetadata, 'id')).toEqual(others);
    expect(ids(stored?.userGrants, 'userId')).toEqual(others);
    expect(ids(stored?.orgMembers, 'userId')).toEqual(users.slice(0, 10).filter((u) => u !== clash));
    expect(ids(stored?.machineUsers, 'userId')).toEqual(['br-b-m']);
  } finally {
    caller.close();
  }
});
