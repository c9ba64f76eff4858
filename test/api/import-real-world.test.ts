/**
 * Bodies in the shapes zitadel-tools' Keycloak and Auth0 converters emit (test/fixtures/
 * real-world.ts notes the source of each), posted verbatim to the REST path as the converters'
 * readmes say, as `dataOrgs` and, as the migration guide does, as `data_orgsv1`. Their org is
 * named only by id, so it is created first. Every user imports, keeps its hash byte for byte, and
 * a re-import with the plaintext passwords is recognised as the same users (the hashes verify).
 */
import type { JsonObject } from '@bufbuild/protobuf';
import { auth0ConverterBody, keycloakConverterBody, type RealWorldUser } from '../fixtures/real-world.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { postJson } from '../support/export-helpers.js';
import { errorsOf, exportOrgs } from '../support/import-client.js';
import { dataOrg } from '../support/import-data.js';
import { type Caller, createCaller } from '../support/protocols.js';

const CONVERTERS = { keycloak: keycloakConverterBody, auth0: auth0ConverterBody } as const;

// The converters' user ids are fixed, and user ids are unique in an instance: one instance each.
describe.each(['dataOrgs', 'data_orgsv1'] as const)('posted as %s', (field) => {
  let app: TestApp;
  let caller: Caller;
  beforeAll(async () => {
    app = await startTestApp();
    caller = createCaller('connect-json', app.url);
  });
  afterAll(async () => {
    caller?.close();
    await app?.close();
  });

  test.each(Object.keys(CONVERTERS) as (keyof typeof CONVERTERS)[])('the %s converter output imports whole', async (name) => {
    const orgId = `rw-${name}-${field}`;
    const { body, users } = CONVERTERS[name](orgId);
    const asSent = field === 'dataOrgs' ? body : { data_orgsv1: body.dataOrgs, timeout: body.timeout };
    const created = await postJson(app, '/admin/v1/import', { dataOrgs: { orgs: [dataOrg(orgId, `Real world ${orgId}`)] } });
    expect(errorsOf(created.json)).toEqual([]);

    const first = await postJson(app, '/admin/v1/import', asSent);
    expect({ status: first.status, errors: errorsOf(first.json) }).toEqual({ status: 200, errors: [] });
    expect(((first.json.success as JsonObject).orgs as JsonObject[])[0]).toEqual({ orgId, humanUserIds: users.map((u) => u.userId) });
    const hashes = async () =>
      (((await exportOrgs(caller, app.token, [orgId]))[0]?.humanUsers ?? []) as JsonObject[]).map((u) => [
        u.userId,
        (u.user as JsonObject).hashedPassword,
      ]);
    const expected = [...users].sort((x, y) => (x.userId < y.userId ? -1 : 1)).map((u: RealWorldUser) => [u.userId, { value: u.hash }]);
    expect(await hashes()).toEqual(expected);

    // The same users with plaintext passwords: the stored hashes verify them, nothing changes.
    const plain = JSON.parse(JSON.stringify(asSent)) as JsonObject;
    const orgs = ((plain.dataOrgs ?? plain.data_orgsv1) as JsonObject).orgs as JsonObject[];
    for (const u of (orgs[0] as JsonObject).humanUsers as JsonObject[]) {
      const user = u.user as JsonObject;
      delete user.hashedPassword;
      user.password = users.find((x) => x.userId === u.userId)?.password ?? '';
    }
    const second = await postJson(app, '/admin/v1/import', plain);
    expect({ status: second.status, errors: errorsOf(second.json) }).toEqual({ status: 200, errors: [] });
    expect(await hashes()).toEqual(expected);
  });
});
