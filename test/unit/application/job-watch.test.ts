import { getEventListeners } from 'node:events';
import { createJobCommands } from '../../../src/application/jobs/job-commands.js';
import type { AuditStore, JobRecord, JobStore } from '../../../src/application/jobs/job-ports.js';
import { emptyProgress } from '../../../src/application/jobs/job-progress.js';

// WatchJob looks at the job every watchMs until it ends or the call is aborted (a client that
// disconnects). Each look's wait must leave nothing on the call's signal, and an abort must end
// the watch at once, between looks.

const job = (state: JobRecord['state'], orgsDone: number): JobRecord => ({
  id: 'j1',
  kind: 'import',
  state,
  principal: 'p',
  source: 'inline',
  target: 'database',
  request: {},
  createdAt: new Date(0),
  startedAt: new Date(0),
  finishedAt: null,
  deadlineAt: null,
  replica: 'r',
  cancelRequested: false,
  stepsDone: 0,
  progress: { ...emptyProgress(), orgsDone },
  error: '',
  takeovers: 0,
  sourceFingerprint: null,
});

function commands(states: () => JobRecord) {
  let gets = 0;
  const jobs = {
    get: async () => {
      gets++;
      return states();
    },
  } as unknown as JobStore;
  return { c: createJobCommands({ jobs, audit: {} as AuditStore, queued: () => {}, watchMs: 1 }), gets: () => gets };
}

test('a long watch leaves no abort listeners behind on the call’s signal', async () => {
  let looks = 0;
  const { c } = commands(() => (++looks < 40 ? job('running', looks) : job('succeeded', looks)));
  const controller = new AbortController();
  const seen: number[] = [];
  for await (const j of c.watch('j1', controller.signal)) {
    seen.push(j.progress.orgsDone);
    // Between looks only the current wait may listen.
    expect(getEventListeners(controller.signal, 'abort').length).toBeLessThanOrEqual(1);
  }
  expect(seen).toHaveLength(40);
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
});

test('an abort between looks ends the watch with the abort’s reason, and no look follows', async () => {
  const { c, gets } = commands(() => job('running', 1));
  const controller = new AbortController();
  const reason = new Error('client went away');
  const it = c.watch('j1', controller.signal);
  expect((await it.next()).value?.state).toBe('running');
  const next = it.next(); // waits: the job has not changed
  await new Promise((r) => setTimeout(r, 20));
  const before = gets();
  controller.abort(reason);
  await expect(next).rejects.toBe(reason);
  await new Promise((r) => setTimeout(r, 20));
  expect(gets()).toBe(before);
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
});
