import type { ItemResult } from '../../src/application/import/import-report.js';
import type { AuditStore, JobStep, JobStore } from '../../src/application/jobs/job-ports.js';
import { emptyProgress, ProgressMeter } from '../../src/application/jobs/job-progress.js';
import { createJobImporter } from '../../src/application/jobs/run-import.js';
import type { ImportFileCodec } from '../../src/application/ports.js';
import type { JsonObject } from '../../src/domain/json.js';
import { createPasswordHasher } from '../../src/domain/password-hasher.js';
import { type Database, openDatabase } from '../../src/persistence/orm.js';
import { createResourceTransactions } from '../../src/persistence/resources/resource-store.js';
import { dataOrg, humanUser, project, projectGrant } from '../support/import-data.js';
import { testSecretsAtRest } from '../support/secrets.js';

// A job stopped after a new org's first pass left grants for later (run-import.ts): the resumed
// run takes the deferred ordinals from the checkpoint, so it runs the same steps and reports
// what an uninterrupted run reports.

let db: Database;
beforeAll(async () => {
  db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
});
afterAll(async () => {
  await db.close();
});

class Crash extends Error {}

/** A step as this test keeps it: its rows as an array (structuredClone copies no class, such as the packed outcomes). */
type KeptStep = JobStep & { results: ItemResult[] };

/** Runs the import as a job; its checkpoint throws (rolling that step back) at step `crashAt`. */
async function runJob(orgs: JsonObject[], replay: KeptStep[], crashAt: number) {
  const steps: KeptStep[] = [...replay];
  const jobs = {
    async checkpoint(_w: unknown, _id: string, _owner: string, step: JobStep) {
      if (step.step === crashAt) throw new Crash('stopped');
      steps.push(structuredClone({ ...step, results: [...step.results] }));
    },
    // A resumed run reads each committed step back when its turn comes.
    async steps(_id: string, from: number, count: number) {
      return replay.slice(from, from + count);
    },
  } as Partial<JobStore> as JobStore;
  const audit: AuditStore = { append: async () => undefined } as Partial<AuditStore> as AuditStore;
  const runImport = createJobImporter({
    tx: createResourceTransactions(db, testSecretsAtRest()),
    blobs: {} as never,
    codec: {} as ImportFileCodec,
    hasher: createPasswordHasher({ algorithm: 'bcrypt', cost: 4 }),
    jobs,
    audit,
  });
  const meter = new ProgressMeter(emptyProgress());
  const done = runImport({
    jobId: 'j',
    owner: 'o',
    principal: 'p',
    source: 'test',
    replayed: replay.length,
    recordedSource: null,
    meter,
    command: { source: { kind: 'inline', orgs }, conflictPolicy: 'fail', dryRun: false, signal: AbortSignal.timeout(60_000) },
  });
  return { done, steps, meter };
}

const rows = (results: readonly ItemResult[]) => results.map((r) => `${r.orgId} ${r.type} ${r.id} ${r.outcome}`);

test('a job resumed after a first pass that deferred grants runs the same steps and gives the same report', async () => {
  const orgs = (tag: string) => [
    dataOrg(`${tag}a`, `${tag} A`, {
      humanUsers: [humanUser(`${tag}a-u`, `${tag}a-u`)],
      projects: [project(`${tag}a-p`)],
      projectGrants: [projectGrant(`${tag}a-g`, `${tag}a-p`, `${tag}b`)],
      userGrants: [
        { userId: `${tag}a-u`, projectId: `${tag}a-p` },
        { userId: `${tag}a-u`, projectId: `${tag}b-p` },
      ],
      projectMembers: [{ projectId: `${tag}a-p`, userId: `${tag}b-u`, roles: ['PROJECT_OWNER'] }],
    }) as JsonObject,
    dataOrg(`${tag}b`, `${tag} B`, { humanUsers: [humanUser(`${tag}b-u`, `${tag}b-u`)], projects: [project(`${tag}b-p`)] }) as JsonObject,
  ];

  const clean = await runJob(orgs('c'), [], -1);
  const cleanReport = await clean.done;
  expect(clean.steps.map((s) => `${s.orgId}:${s.pass}`)).toEqual(['ca:1', 'cb:1', 'ca:2', 'ca:3']);
  expect(clean.steps[0]?.state.deferred).toEqual({ projectGrants: [0], userGrants: [1], projectMembers: [0] });
  expect(clean.meter.snapshot()).toMatchObject({ orgsDone: 2, orgsTotal: 2, pass: 3 });

  const stopped = await runJob(orgs('r'), [], 1);
  await expect(stopped.done).rejects.toThrow(Crash);
  expect(stopped.steps.map((s) => `${s.orgId}:${s.pass}`)).toEqual(['ra:1']);
  const resumed = await runJob(orgs('r'), stopped.steps, -1);
  const resumedReport = await resumed.done;
  expect(resumed.steps.map((s) => `${s.orgId}:${s.pass}`)).toEqual(['ra:1', 'rb:1', 'ra:2', 'ra:3']);

  // The job's report is its steps' rows, then the rows no step holds (job-commands.ts report).
  const reportOf = (run: { steps: { results: readonly ItemResult[] }[] }, tail: readonly ItemResult[]) =>
    rows([...run.steps.flatMap((s) => s.results), ...tail]);
  const asClean = (s: string) => s.replaceAll(/(^|[ _])r(a|b)/g, '$1c$2');
  const cleanRows = reportOf(clean, cleanReport.tail);
  expect(reportOf(resumed, resumedReport.tail).map(asClean)).toEqual(cleanRows);
  expect(new Set(cleanRows.map((r) => r.split(' ').at(-1)))).toEqual(new Set(['created']));
  expect(cleanRows).toHaveLength(2 + 2 + 2 + 1 + 2 + 1);

  // A step checkpointed before the refs were kept as one text (an array, `refs`) resumes the same.
  const again = await runJob(orgs('s'), [], 1);
  await expect(again.done).rejects.toThrow(Crash);
  const earlier = again.steps.map(({ state: { refsText, ...rest }, ...step }) => ({
    ...step,
    state: { ...rest, refs: JSON.parse(String(refsText)) },
  }));
  expect(earlier[0]?.state.refs).toEqual(expect.arrayContaining([['user', 'sa-u', null]]));
  const fromEarlier = await runJob(orgs('s'), earlier, -1);
  const fromEarlierReport = await fromEarlier.done;
  expect(fromEarlier.steps.map((s) => `${s.orgId}:${s.pass}`)).toEqual(['sa:1', 'sb:1', 'sa:2', 'sa:3']);
  const asCleanS = (s: string) => s.replaceAll(/(^|[ _])s(a|b)/g, '$1c$2');
  expect(reportOf(fromEarlier, fromEarlierReport.tail).map(asCleanS)).toEqual(cleanRows);
});
