import { createImportEngine } from '../../src/application/import/import-data.js';
import type { ItemResult } from '../../src/application/import/import-report.js';
import type { PassOutcome } from '../../src/application/import/import-run.js';
import type { ImportFileCodec, ResourceTransactions } from '../../src/application/ports.js';
import type { JsonObject } from '../../src/domain/json.js';
import { createPasswordHasher } from '../../src/domain/password-hasher.js';
import { type Database, openDatabase } from '../../src/persistence/orm.js';
import { createResourceTransactions } from '../../src/persistence/resources/resource-store.js';
import { dataOrg, humanUser, project, projectGrant, projectRole } from '../support/import-data.js';
import { testSecretsAtRest } from '../support/secrets.js';

// Where an import writes a new org's grants and members (import-run.ts, plan.ts): in the org's
// first pass when what they refer to is present, in their own pass when it comes later in the
// file; an org that existed before keeps ZITADEL's three passes. Each transaction the engine
// opens is one org pass; the test records them and the whole report.

let db: Database;
let base: ResourceTransactions;
beforeAll(async () => {
  db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
  base = createResourceTransactions(db, testSecretsAtRest());
});
afterAll(async () => {
  await db.close();
});

async function importOrgs(orgs: JsonObject[]): Promise<{ passes: string[]; results: ItemResult[] }> {
  const passes: string[] = [];
  const tx: ResourceTransactions = {
    ...base,
    async write(signal, options, work) {
      const out = await base.write(signal, options, work);
      const pass = out as unknown as PassOutcome;
      passes.push(`${pass.orgId}:${pass.pass}`);
      return out;
    },
  };
  const results: ItemResult[] = [];
  const engine = createImportEngine({
    tx,
    blobs: {} as never,
    codec: {} as ImportFileCodec,
    hasher: createPasswordHasher({ algorithm: 'bcrypt', cost: 4 }),
  });
  await engine(
    { source: { kind: 'inline', orgs }, conflictPolicy: 'fail', dryRun: false, signal: AbortSignal.timeout(60_000) },
    { add: (r) => results.push(r) },
  );
  return { passes, results };
}

const outcomes = (results: ItemResult[]) =>
  results.map((r) => `${r.orgId} ${r.type} ${r.id} ${r.outcome}${r.message ? `: ${r.message}` : ''}`);

test('a new org whose grants and members are its own is imported in one pass, in registry order', async () => {
  const org = dataOrg('lo', 'Local', {
    humanUsers: [humanUser('lo-u', 'lo-u')],
    projects: [project('lo-p')],
    projectRoles: [projectRole('lo-p', 'r')],
    userGrants: [{ userId: 'lo-u', projectId: 'lo-p', roleKeys: ['r'] }],
    orgMembers: [{ userId: 'lo-u', roles: ['ORG_OWNER'] }],
    projectMembers: [{ projectId: 'lo-p', userId: 'lo-u', roles: ['PROJECT_OWNER'] }],
  }) as JsonObject;
  const { passes, results } = await importOrgs([org]);
  expect(passes).toEqual(['lo:1']);
  expect(outcomes(results)).toEqual([
    'lo org lo created',
    'lo human_user lo-u created',
    'lo project lo-p created',
    'lo project_role lo-p_r created',
    'lo user_grant lo_lo-p_lo-u created',
    'lo org_member lo_lo-u created',
    'lo project_member lo_lo-p_lo-u created',
  ]);
});

test('grants on an org later in the file wait for their pass and are created there; a missing project fails as before', async () => {
  const first = dataOrg('ea', 'Early', {
    humanUsers: [humanUser('ea-u', 'ea-u')],
    projects: [project('ea-p')],
    // Granted to the org after this one, and a grant of this org's user on that org's project.
    projectGrants: [projectGrant('ea-g', 'ea-p', 'la')],
    userGrants: [
      { userId: 'ea-u', projectId: 'ea-p' },
      { userId: 'ea-u', projectId: 'la-p' },
      { userId: 'ea-u', projectId: 'nowhere-p' },
    ],
    orgMembers: [{ userId: 'ea-u', roles: ['ORG_OWNER'] }],
    // A member who is a user of the later org.
    projectMembers: [{ projectId: 'ea-p', userId: 'la-u', roles: ['PROJECT_OWNER'] }],
  }) as JsonObject;
  const later = dataOrg('la', 'Later', { humanUsers: [humanUser('la-u', 'la-u')], projects: [project('la-p')] }) as JsonObject;

  const { passes, results } = await importOrgs([first, later]);
  expect(passes).toEqual(['ea:1', 'la:1', 'ea:2', 'ea:3']);
  expect(outcomes(results)).toEqual([
    'ea org ea created',
    'ea human_user ea-u created',
    'ea project ea-p created',
    'ea user_grant ea_ea-p_ea-u created',
    'ea org_member ea_ea-u created',
    'la org la created',
    'la human_user la-u created',
    'la project la-p created',
    'ea project_grant ea_ea-p_la created',
    // A pass reports reference failures before it writes (org-session.ts), as before.
    'ea user_grant ea_nowhere-p_ea-u failed: refers to project nowhere-p, which does not exist (IMPORT-reference)',
    'ea user_grant ea_la-p_ea-u created',
    'ea project_member ea_ea-p_la-u created',
  ]);

  // Imported again, both orgs exist: three passes each, as ZITADEL runs them, all unchanged.
  const again = await importOrgs([first, later]);
  expect(again.passes).toEqual(['ea:1', 'la:1', 'ea:2', 'la:2', 'ea:3', 'la:3']);
  const failedOnce = 'ea user_grant ea_nowhere-p_ea-u failed: refers to project nowhere-p, which does not exist (IMPORT-reference)';
  expect(outcomes(again.results).filter((o) => !o.endsWith(' unchanged'))).toEqual([failedOnce]);
  expect(again.results).toHaveLength(results.length);
});
