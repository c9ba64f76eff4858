/**
 * An import whose success lists are long enough to be read from the packed report as the
 * answer is encoded (transport/admin/lazy-list.ts, LAZY_LIST_FROM) answers them whole on every
 * protocol: ZITADEL's ImportData and idport's MigrationService.ImportData with its per-resource
 * results. A bad user among them fails alone. Dry runs: nothing is written.
 */
import type { JsonObject } from '@bufbuild/protobuf';
import { MigrationService } from '../../gen/idport/v1/migration_pb.js';
import { LAZY_LIST_FROM } from '../../src/transport/admin/import-response.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { errorsOf, expectOk, importHeaders, importOrgs, successOf } from '../support/import-client.js';
import { type DataOrg, dataOrg, humanUser } from '../support/import-data.js';
import { createCaller, PROTOCOLS, type Protocol } from '../support/protocols.js';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});

afterAll(async () => {
  await app?.close();
});

const USERS = LAZY_LIST_FROM + 200;

function longOrg(p: string): { org: DataOrg; userIds: string[] } {
  const userIds = Array.from({ length: USERS }, (_, i) => `${p}-u${i}`);
  const humanUsers = userIds.map((id) => humanUser(id, id));
  humanUsers.splice(700, 0, humanUser(`${p}-bad`, `${p}-bad`, { userName: '' }));
  const userMetadata = userIds.map((id, i) => ({ id, key: `k${i % 3}`, value: 'dmFsdWU=' }));
  return { org: dataOrg(p, `Org ${p}`, { humanUsers, userMetadata }), userIds };
}

const sorted = <T>(list: T[]) => [...list].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

describe.each(PROTOCOLS)('%s', (protocol: Protocol) => {
  test('ZITADEL ImportData lists every user and metadata entry', async () => {
    const p = `long-${protocol}`;
    const { org, userIds } = longOrg(p);
    const caller = createCaller(protocol, app.url);
    try {
      const response = expectOk(await importOrgs(caller, app.token, [org], { headers: importHeaders({ dryRun: true }) }));
      const success = successOf(response, p);
      expect((success.humanUserIds as string[]).length).toBe(USERS);
      expect(sorted(success.humanUserIds as string[])).toEqual(sorted(userIds));
      expect(sorted(success.userMetadata as JsonObject[])).toEqual(sorted(userIds.map((userId, i) => ({ userId, key: `k${i % 3}` }))));
      expect(errorsOf(response)).toEqual([{ type: 'human_user', id: `${p}-bad`, message: expect.stringContaining('IMPORT-required') }]);
    } finally {
      caller.close();
    }
  });

  test("idport's ImportData answers every resource's outcome", async () => {
    const p = `long-idport-${protocol}`;
    const { org, userIds } = longOrg(p);
    const caller = createCaller(protocol, app.url);
    try {
      const request = { request: { dataOrgs: { orgs: [org as JsonObject] } }, options: { dryRun: true } };
      const response = expectOk(await caller.call(MigrationService.method.importData, request, { token: app.token }));
      const results = (response.results ?? []) as JsonObject[];
      const users = results.filter((r) => r.type === 'human_user' && r.outcome === 'OUTCOME_CREATED').map((r) => r.id);
      expect(sorted(users)).toEqual(sorted(userIds));
      expect(results.filter((r) => r.type === 'user_metadata')).toHaveLength(USERS);
      expect(results.filter((r) => r.outcome === 'OUTCOME_FAILED').map((r) => r.id)).toEqual([`${p}-bad`]);
      expect((successOf(response.response as JsonObject, p).humanUserIds as string[]).length).toBe(USERS);
    } finally {
      caller.close();
    }
  });
});
