/**
 * Moving identity data between two idport instances, as ZITADEL's migration guide does it:
 * instance A holds the fixture; its export (with passwords and OTP secrets) is imported into
 * an empty instance B (its own app and database); B's export must then equal A's. Once with the
 * guide's curl commands verbatim (REST, the export embedded as `data_orgsv1`), and once per
 * RPC protocol with `data_orgs`. Every run is repeated to show that a re-import changes nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { JsonObject } from '@bufbuild/protobuf';
import { RESOURCE_KINDS } from '../../src/domain/resources/kinds.js';
import { seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { errorsOf, expectOk, exportOrgs, importOrgs, listOrgIds } from '../support/import-client.js';
import { type Caller, createCaller } from '../support/protocols.js';

const FIXTURE = seededOrgs() as unknown as JsonObject[];
const ORG_IDS = FIXTURE.map((o) => String(o.orgId));

/** What ImportData reports for the fixture: every resource in ZITADEL's success lists. */
const FIXTURE_SUCCESS = {
  orgs: [
    {
      orgId: '100',
      projectIds: ['130'],
      projectRoles: ['130_admin', '130_viewer'],
      oidcAppIds: ['140'],
      apiAppIds: ['141'],
      humanUserIds: ['120', '121'],
      machineUserIds: ['122'],
      actionIds: ['150'],
      triggerActions: [{ flowType: '1', triggerType: '1', actionIds: ['150'] }],
      projectGrants: [{ grantId: '160', projectId: '130', orgId: '200' }],
      userGrants: [{ projectId: '130', userId: '120' }],
      orgMembers: ['120'],
      projectMembers: [{ projectId: '130', userId: '121' }],
      projectGrantMembers: [{ projectId: '130', grantId: '160', userId: '120' }],
      oidcIpds: ['110'],
      jwtIdps: ['111'],
      userLinks: [{ userId: '120', externalUserId: 'ext-alice', displayName: 'alice@corp', idpId: '110' }],
      userMetadata: [{ userId: '120', key: 'department' }],
      domains: ['acme.example', 'acme.test'],
      appKeys: ['170'],
      machineKeys: ['171'],
    },
    { orgId: '200', humanUserIds: ['220'], orgMembers: ['220'] },
  ],
};

let a: TestApp;
let callerA: Caller;
/** A's export of the fixture orgs: what every migration must reproduce. */
let exportA: JsonObject[];
let defaultOrgA: string;

beforeAll(async () => {
  a = await startTestApp();
  callerA = createCaller('connect-json', a.url);
  [defaultOrgA] = await listOrgIds(callerA, a.token);
  const seeded = expectOk(await importOrgs(callerA, a.token, FIXTURE));
  expect(errorsOf(seeded)).toEqual([]);
  exportA = await exportOrgs(callerA, a.token, ORG_IDS);
});

afterAll(async () => {
  callerA?.close();
  await a?.close();
});

test('instance A exports the fixture exactly, and the fixture holds every resource kind', () => {
  expect(exportA).toEqual(FIXTURE);
  const fields = new Set(exportA.flatMap((org) => Object.keys(org)));
  const missing = RESOURCE_KINDS.map((k) => k.field).filter((f) => !fields.has(f));
  expect(missing).toEqual([]);
});

describe("the migration guide's curl commands, from A to an empty B", () => {
  let b: TestApp;
  let callerB: Caller;
  let dir: string;

  beforeAll(async () => {
    b = await startTestApp();
    callerB = createCaller('connect-json', b.url);
    dir = await mkdtemp(join(tmpdir(), 'idport-migrate-'));
  });

  afterAll(async () => {
    callerB?.close();
    await b?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runs `script` with bash in the scratch directory; A, B and their tokens are in the environment. */
  async function shell(script: string): Promise<string> {
    const env = { ...process.env, A: a.url, B: b.url, TOKEN_A: a.token, TOKEN_B: b.token, DEFAULT_ORG_A: defaultOrgA };
    const { stdout } = await promisify(execFile)('bash', ['-c', script], { cwd: dir, env, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  }

  // The guide's export, with A's own default org excluded: B has a default org of its own.
  const EXPORT = `curl --request POST --url $A/admin/v1/export --header "Authorization: Bearer $TOKEN_A" --header 'Content-Type: application/json' --data '{"org_ids": [], "excluded_org_ids": ["'"$DEFAULT_ORG_A"'"], "with_passwords": true, "with_otp": true, "timeout": "30s", "response_output": true}' -o export.json`;
  // Verbatim from the brief: the export file embedded as data_orgsv1.
  const IMPORT = `curl --request POST --url $B/admin/v1/import --header "Authorization: Bearer $TOKEN_B" --header 'Content-Type: application/json' --data '{"timeout": "10m","data_orgsv1": '"$(cat export.json)"'}'`;

  test('moves every resource kind, and running the import twice changes nothing', async () => {
    const [defaultOrgB] = await listOrgIds(callerB, b.token);

    await shell(EXPORT);
    const file = JSON.parse(await readFile(join(dir, 'export.json'), 'utf8')) as JsonObject;
    expect(file).toEqual({ orgs: exportA });

    const first = JSON.parse(await shell(IMPORT)) as JsonObject;
    expect(errorsOf(first)).toEqual([]);
    expect(first.success).toEqual(FIXTURE_SUCCESS);
    expect(await exportOrgs(callerB, b.token, ORG_IDS)).toEqual(exportA);
    expect(await listOrgIds(callerB, b.token)).toEqual([...ORG_IDS, defaultOrgB].sort());

    const second = JSON.parse(await shell(IMPORT)) as JsonObject;
    expect(errorsOf(second)).toEqual([]);
    expect(second.success).toEqual(FIXTURE_SUCCESS);
    expect(await exportOrgs(callerB, b.token, ORG_IDS)).toEqual(exportA);
    expect(await listOrgIds(callerB, b.token)).toEqual([...ORG_IDS, defaultOrgB].sort());
  });
});

describe.each(['grpc', 'connect-json'] as const)('data_orgs over %s, from A to an empty B', (protocol) => {
  let b: TestApp;
  let caller: Caller;

  beforeAll(async () => {
    b = await startTestApp();
    caller = createCaller(protocol, b.url);
  });

  afterAll(async () => {
    caller?.close();
    await b?.close();
  });

  test('moves every resource kind, and a second import changes nothing', async () => {
    const first = expectOk(await importOrgs(caller, b.token, exportA));
    expect(errorsOf(first)).toEqual([]);
    expect(first.success).toEqual(FIXTURE_SUCCESS);
    expect(await exportOrgs(caller, b.token, ORG_IDS)).toEqual(exportA);

    const second = expectOk(await importOrgs(caller, b.token, exportA));
    expect(errorsOf(second)).toEqual([]);
    expect(second.success).toEqual(FIXTURE_SUCCESS);
    expect(await exportOrgs(caller, b.token, ORG_IDS)).toEqual(exportA);
  });
});
