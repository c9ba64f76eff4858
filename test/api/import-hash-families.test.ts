/**
 * Every password-hash family ZITADEL verifies, and the Kratos/Keycloak encodings, moved through
 * ImportData on every protocol: each user imports, exports with its hash byte for byte, and a
 * second import of the same users with their plaintext `password` instead is recognised as the
 * same (the stored hash verifies the password, argon2 included), so the report has no errors.
 */
import type { JsonObject } from '@bufbuild/protobuf';
import { hashVectors } from '../fixtures/password-hashes.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { errorsOf, expectOk, exportOrgs, importOrgs, successOf } from '../support/import-client.js';
import { dataOrg, humanUser } from '../support/import-data.js';
import { type Caller, createCaller, PROTOCOLS } from '../support/protocols.js';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const VECTORS = hashVectors();

describe.each(PROTOCOLS)('over %s', (protocol) => {
  let caller: Caller;
  const orgId = `hf-${protocol}`;
  const user = (i: number, secret: JsonObject) => humanUser(`${orgId}-u${String(i).padStart(2, '0')}`, `${orgId}-user-${i}`, secret);
  const hashed = VECTORS.map((v, i) => user(i, { hashedPassword: { value: v.encoded } }));

  beforeAll(() => {
    caller = createCaller(protocol, app.url);
  });
  afterAll(() => caller.close());

  test('every family imports and exports byte for byte', async () => {
    const report = expectOk(await importOrgs(caller, app.token, [dataOrg(orgId, `Hashes ${protocol}`, { humanUsers: hashed })]));
    expect(errorsOf(report)).toEqual([]);
    expect(successOf(report, orgId).humanUserIds).toEqual(hashed.map((u) => u.userId));
    const [exported] = await exportOrgs(caller, app.token, [orgId]);
    expect(((exported?.humanUsers ?? []) as JsonObject[]).map((u) => (u.user as JsonObject).hashedPassword)).toEqual(
      VECTORS.map((v) => ({ value: v.encoded })),
    );
  });

  test('the same users with their plaintext passwords are the same users: the stored hashes verify them', async () => {
    const plain = VECTORS.map((v, i) => user(i, { password: v.password }));
    const report = expectOk(await importOrgs(caller, app.token, [dataOrg(orgId, `Hashes ${protocol}`, { humanUsers: plain })]));
    expect(errorsOf(report)).toEqual([]);
    const [exported] = await exportOrgs(caller, app.token, [orgId]);
    expect(((exported?.humanUsers ?? []) as JsonObject[]).map((u) => (u.user as JsonObject).hashedPassword)).toEqual(
      VECTORS.map((v) => ({ value: v.encoded })),
    );
  });

  test('a wrong plaintext password is a conflict of that user alone', async () => {
    const wrong = [user(0, { password: 'not the password' }), user(1, { password: VECTORS[1]?.password ?? '' })];
    const report = expectOk(await importOrgs(caller, app.token, [dataOrg(orgId, `Hashes ${protocol}`, { humanUsers: wrong })]));
    expect(errorsOf(report)).toEqual([{ type: 'human_user', id: `${orgId}-u00`, message: expect.stringContaining('(IMPORT-conflict)') }]);
  });
});
