/**
 * The line between request-level and item-level failures (issue 8). Each call imports a valid
 * org first and then an org holding one bad resource: the call still answers with the report
 * (never a 4xx/5xx behind a committed org), the bad resource alone fails with a stable error id,
 * its dependents are skipped, and everything else is in the export. Whole reports are compared.
 */
import type { JsonObject } from '@bufbuild/protobuf';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { derivedId } from '../../src/domain/ids.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { errorsOf, expectOk, exportOrgs, type ImportError, importOrgs, successOf } from '../support/import-client.js';
import { dataOrg, humanUser, project } from '../support/import-data.js';
import {
  type Caller,
  createCaller,
  JSON_PROTOCOLS,
  type JsonProtocol,
  PROTOCOLS,
  type Protocol,
  sendJsonText,
} from '../support/protocols.js';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const failed = (type: string, id: string, errorId: string): ImportError => ({ type, id, message: expect.stringContaining(`(${errorId})`) });
const skipped = (type: string, id: string): ImportError => ({ type, id, message: expect.stringMatching(/^skipped: /) });

interface Case {
  name: string;
  /** Only where the input can be carried (a lone surrogate has no protobuf binary form). */
  protocols: readonly Protocol[];
  /** The bad org's parts, given the org id `o`. */
  parts(o: string): JsonObject;
  errors(o: string): ImportError[];
  /** Its human users that must be in the export afterwards. */
  kept(o: string): string[];
}

const member = (userId: string) => ({ userId, roles: ['ORG_OWNER'] });
const usersWith = (o: string, bad: JsonObject) => ({
  humanUsers: [humanUser(`${o}-good`, `${o}-good`), humanUser(`${o}-bad`, `${o}-bad`, bad)],
  orgMembers: [member(`${o}-good`), member(`${o}-bad`)],
});
const badUser = (errorId: string) => (o: string) => [failed('human_user', `${o}-bad`, errorId), skipped('org_member', `${o}_${o}-bad`)];

const CASES: Case[] = [
  {
    name: 'a plaintext password over the 72 bytes bcrypt reads',
    protocols: PROTOCOLS,
    parts: (o) => usersWith(o, { password: 'p'.repeat(73) }),
    errors: badUser('HASH-password-too-long'),
    kept: (o) => [`${o}-good`],
  },
  {
    name: 'a NUL character in a user field',
    protocols: PROTOCOLS,
    parts: (o) => usersWith(o, { profile: { firstName: 'Nul\u0000l', lastName: 'User' } }),
    errors: badUser('IMPORT-text'),
    kept: (o) => [`${o}-good`],
  },
  {
    name: 'a lone surrogate in a display name',
    protocols: JSON_PROTOCOLS,
    parts: (o) => usersWith(o, { profile: { firstName: 'Lone', lastName: 'User', displayName: 'bad \ud800 name' } }),
    errors: badUser('IMPORT-text'),
    kept: (o) => [`${o}-good`],
  },
  {
    name: "a display name over ZITADEL's 200",
    protocols: PROTOCOLS,
    parts: (o) => usersWith(o, { profile: { firstName: 'Long', lastName: 'User', displayName: 'x'.repeat(10_000) } }),
    errors: badUser('IMPORT-length'),
    kept: (o) => [`${o}-good`],
  },
  {
    name: 'a NUL character in a metadata id',
    protocols: PROTOCOLS,
    parts: (o) => ({
      humanUsers: [humanUser(`${o}-good`, `${o}-good`)],
      userMetadata: [
        { id: `${o}-good`, key: 'ok', value: 'b2s=' },
        { id: `${o}-good\u0000`, key: 'nul', value: 'b2s=' },
      ],
    }),
    errors: (o) => [failed('user_metadata', `${o}-good\u0000_nul`, 'IMPORT-text')],
    kept: (o) => [`${o}-good`],
  },
  {
    name: 'a 100-character project id',
    protocols: PROTOCOLS,
    parts: (o) => ({ humanUsers: [humanUser(`${o}-good`, `${o}-good`)], projects: [project(`${o}-p`), project('p'.repeat(100))] }),
    errors: () => [failed('project', 'p'.repeat(100), 'IMPORT-length')],
    kept: (o) => [`${o}-good`],
  },
  {
    name: 'a custom text whose language is longer than its column (a value the database refuses)',
    protocols: PROTOCOLS,
    parts: (o) => ({
      humanUsers: [humanUser(`${o}-good`, `${o}-good`)],
      loginTexts: [{ language: `en-${'abcdefgh-'.repeat(5)}x1`, loginText: { title: 'Hi' } }],
    }),
    errors: (o) => [failed('login_texts', `${o}_en-${'abcdefgh-'.repeat(5)}x1`, 'DB-value')],
    kept: (o) => [`${o}-good`],
  },
  {
    name: 'a human user without userId and without userName',
    protocols: PROTOCOLS,
    parts: (o) => {
      const { userId: _none, ...nameless } = humanUser('', '');
      return { humanUsers: [humanUser(`${o}-good`, `${o}-good`), nameless] };
    },
    errors: () => [failed('human_user', 'humanUsers[1]', 'IMPORT-required')],
    kept: (o) => [`${o}-good`],
  },
];

describe.each(PROTOCOLS)('over %s', (protocol) => {
  let caller: Caller;
  beforeAll(() => {
    caller = createCaller(protocol, app.url);
  });
  afterAll(() => caller.close());

  const cases = CASES.filter((c) => c.protocols.includes(protocol));
  test.each(cases.map((c, i) => [c.name, c, i] as const))('%s fails that resource alone, with the report', async (_n, c, i) => {
    const good = `if-${protocol}-${i}-a`;
    const bad = `if-${protocol}-${i}-b`;
    const orgs = [
      dataOrg(good, `Good ${good}`, { humanUsers: [humanUser(`${good}-u`, `${good}-u`)] }),
      dataOrg(bad, `Bad ${bad}`, c.parts(bad)),
    ];
    // A lone surrogate has no protobuf form, so JSON-only cases go as raw JSON text (JSON.stringify escapes it).
    const result =
      c.protocols === JSON_PROTOCOLS
        ? await sendJsonText(protocol as JsonProtocol, app.url, AdminService.method.importData, JSON.stringify({ dataOrgs: { orgs } }), {
            token: app.token,
          })
        : await importOrgs(caller, app.token, orgs);
    const report = expectOk(result);
    expect(errorsOf(report)).toEqual(c.errors(bad));
    const exported = await exportOrgs(caller, app.token, [good, bad]);
    expect(exported.map((o) => ((o.humanUsers ?? []) as JsonObject[]).map((u) => u.userId))).toEqual([[`${good}-u`], c.kept(bad)]);
  });

  test('a human user without userId gets a generated id, reported in the success list; a re-run finds it again', async () => {
    const o = `if-${protocol}-gen`;
    const user = humanUser('', `${o}-nameless`);
    delete user.userId;
    const orgs = [dataOrg(o, `Gen ${o}`, { humanUsers: [user] })];
    const id = derivedId('human_user', o, `${o}-nameless`);
    for (let run = 0; run < 2; run++) {
      const report = expectOk(await importOrgs(caller, app.token, orgs));
      expect({ errors: errorsOf(report), success: successOf(report, o) }).toEqual({
        errors: [],
        success: { orgId: o, humanUserIds: [id] },
      });
    }
    const [exported] = await exportOrgs(caller, app.token, [o]);
    expect(exported?.humanUsers).toEqual([{ ...user, userId: id }]);
  });
});
