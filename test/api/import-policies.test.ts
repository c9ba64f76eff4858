/**
 * What a repeated or changed import does: identical resources are "unchanged" (no errors);
 * different content is an error by default, kept with `x-idport-conflict-policy: skip`,
 * replaced with `overwrite`; `x-idport-dry-run: true` reports without writing; and `timeout`
 * stops the import with DEADLINE_EXCEEDED, leaving only whole orgs behind.
 */
import type { JsonObject } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { errorsOf, expectCode, expectOk, exportOrgs, importHeaders, importOrgs, listOrgIds, successOf } from '../support/import-client.js';
import { bulkOrgs, type DataOrg, dataOrg, humanUser, project, projectRole } from '../support/import-data.js';
import { type Caller, createCaller, PROTOCOLS } from '../support/protocols.js';

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

const run = async (orgs: readonly object[], options: { conflictPolicy?: string; dryRun?: boolean } = {}) =>
  expectOk(await importOrgs(caller, app.token, orgs, { headers: importHeaders(options) }));
const exported = (orgIds: string[]) => exportOrgs(caller, app.token, orgIds);

test('re-running an import reports the same successes, no errors, and changes nothing', async () => {
  const orgs = seededOrgs('-again');
  const orgIds = orgs.map((o) => o.orgId);
  const first = await run(orgs);
  expect(errorsOf(first)).toEqual([]);
  const before = await exported(orgIds);
  expect(before).toEqual(orgs);

  const second = await run(orgs);
  expect(errorsOf(second)).toEqual([]);
  expect(second.success).toEqual(first.success);
  expect(await exported(orgIds)).toEqual(before);
});

describe('the same ids with different content', () => {
  /** An org, and the same org with its project, user and label policy changed and a role added. */
  function versions(p: string): [DataOrg, DataOrg] {
    const original = dataOrg(p, `Org ${p}`, {
      labelPolicy: { primaryColor: '#111111' },
      projects: [project(`${p}-p`, 'Before')],
      projectRoles: [projectRole(`${p}-p`, 'reader')],
      humanUsers: [humanUser(`${p}-same`, `${p}-same`), humanUser(`${p}-u`, `${p}-user`)],
    });
    const changed = dataOrg(p, `Org ${p}`, {
      labelPolicy: { primaryColor: '#222222' },
      projects: [project(`${p}-p`, 'After')],
      projectRoles: [projectRole(`${p}-p`, 'reader'), projectRole(`${p}-p`, 'writer')],
      humanUsers: [
        humanUser(`${p}-same`, `${p}-same`),
        humanUser(`${p}-u`, `${p}-user`, { email: { email: `${p}-new@example.com`, isEmailVerified: true } }),
      ],
    });
    return [original, changed];
  }

  /** Imports the original, then the changed version with `options`: the export before, the changed org, the report. */
  async function reimport(p: string, options: { conflictPolicy?: string; dryRun?: boolean }) {
    const [original, changed] = versions(p);
    expect(errorsOf(await run([original]))).toEqual([]);
    const before = await exported([p]);
    return { before, changed, report: await run([changed], options) };
  }

  const conflicts = (p: string) => [
    { type: 'label_policy', id: p },
    { type: 'human_user', id: `${p}-u` },
    { type: 'project', id: `${p}-p` },
  ];

  // Under both policies the conflicting resource stays as stored, so what refers to it (a new
  // role of the kept project) is still imported, as ZITADEL's import does.
  test.each([
    ['by default', 'cf-fail', {}, /\(IMPORT-conflict\)$/],
    ['with conflict policy skip', 'cf-skip', { conflictPolicy: 'skip' }, /^skipped: /],
  ])('%s: each changed resource is reported, kept as stored, and new ones still import', async (_name, p, options, message) => {
    const { before, report } = await reimport(p, options);
    expect(errorsOf(report)).toEqual(conflicts(p).map((c) => ({ ...c, message: expect.stringMatching(message) })));
    const success = successOf(report, p);
    expect(success.humanUserIds).toEqual([`${p}-same`]);
    expect(success.projectIds).toBeUndefined();
    expect(success.projectRoles).toEqual([`${p}-p_reader`, `${p}-p_writer`]);

    const { projectRoles: _roles, ...unchanged } = before[0] as JsonObject;
    expect(await exported([p])).toEqual([
      { ...unchanged, projectRoles: [projectRole(`${p}-p`, 'reader'), projectRole(`${p}-p`, 'writer')] },
    ]);
  });

  test('with conflict policy overwrite: the new content replaces the old', async () => {
    const { changed, report } = await reimport('cf-over', { conflictPolicy: 'overwrite' });
    expect(errorsOf(report)).toEqual([]);
    expect(successOf(report, 'cf-over').projectIds).toEqual(['cf-over-p']);
    expect(await exported(['cf-over'])).toEqual([changed]);
  });

  test('with dry run and overwrite: the same report as a real run, and nothing written', async () => {
    const { before, report } = await reimport('cf-dry', { conflictPolicy: 'overwrite', dryRun: true });
    expect(errorsOf(report)).toEqual([]);
    expect(await exported(['cf-dry'])).toEqual(before);
    expect(await run([versions('cf-dry')[1]], { conflictPolicy: 'overwrite' })).toEqual(report);
  });
});

test('dry run of new orgs: a full report (errors included), and no org is created', async () => {
  const orgs = [
    ...seededOrgs('-dry'),
    dataOrg('dry-bad', 'Org dry-bad', { humanUsers: [humanUser('dry-bad-u', 'dry-bad-u', { email: { email: 'nope' } })] }),
  ];
  const existing = await listOrgIds(caller, app.token);
  const dry = await run(orgs, { dryRun: true });
  expect(errorsOf(dry)).toEqual([{ type: 'human_user', id: 'dry-bad-u', message: expect.stringContaining('(USER-email-invalid)') }]);
  expect(await listOrgIds(caller, app.token)).toEqual(existing);

  const real = await run(orgs);
  expect(real).toEqual(dry);
  expect(await exported(seededOrgs('-dry').map((o) => o.orgId))).toEqual(seededOrgs('-dry'));
});

describe.each(PROTOCOLS)('over %s', (protocol) => {
  test('an unknown conflict policy or dry-run value is INVALID_ARGUMENT, and nothing is imported', async () => {
    const other = createCaller(protocol, app.url);
    try {
      const org = dataOrg(`hdr-${protocol}`, `Org hdr-${protocol}`);
      for (const headers of [importHeaders({ conflictPolicy: 'replace' }), importHeaders({ dryRun: 'yes' })]) {
        expectCode(await importOrgs(other, app.token, [org], { headers }), Code.InvalidArgument);
      }
      expect(await listOrgIds(caller, app.token)).not.toContain(org.orgId);
    } finally {
      other.close();
    }
  });
});

describe('timeout', () => {
  const ORGS = 30;
  const USERS = 200;

  test('stops the import with DEADLINE_EXCEEDED, leaving only complete orgs; a re-run completes', async () => {
    const orgs = bulkOrgs('tmo', ORGS, USERS);
    const rest = createCaller('rest', app.url);
    try {
      expectCode(await importOrgs(rest, app.token, orgs, { timeout: '200ms' }), Code.DeadlineExceeded);
    } finally {
      rest.close();
    }

    const present = (await listOrgIds(caller, app.token)).filter((id) => id.startsWith('tmo-'));
    expect(present.length).toBeLessThan(ORGS);
    if (present.length > 0) {
      const partial = await exported(present);
      const incomplete = partial.filter((o) => (o.humanUsers as unknown[] | undefined)?.length !== USERS).map((o) => o.orgId);
      expect(incomplete).toEqual([]);
    }

    const report = expectOk(await importOrgs(caller, app.token, orgs));
    expect(errorsOf(report)).toEqual([]);
    const all = await exported(orgs.map((o) => o.orgId));
    expect(all).toEqual(orgs);
  });
});
