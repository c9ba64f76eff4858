import { liveBar, type ProgressStream, ratePerSecond } from '../progress.js';
import type { ProgressEvent } from './types.js';

/** A progress event as the CLI prints it (one line on stderr). */
export function formatProgress(e: ProgressEvent): string {
  const org = `org ${e.orgId}${e.orgName ? ` (${e.orgName})` : ''}`;
  const calls =
    e.calls === undefined ? '' : e.step === 'sent' ? ` in ${e.calls} message(s)` : ` in ${e.calls} call(s), ${e.errors ?? 0} error(s)`;
  const what = { read: 'read', sent: 'sent', imported: 'imported', 'later-passes': 'grants and members imported' }[e.step];
  return `migrate: ${e.side}: ${org}: ${what}, ${e.resources} resource(s)${calls}`;
}

const FORMAT = 'migrate [{bar}] {value}/{total} orgs | {rate} resources/s | eta {eta_formatted} | {org}';
const FORMAT_NO_TOTAL = 'migrate {value} orgs | {rate} resources/s | {org}';

/**
 * What `npm run migrate` shows on stderr while it runs: on a terminal, one live bar with the
 * orgs the target has taken, resources per second and an ETA (once the source has said how many
 * orgs it selected); elsewhere one line per org the target has taken (formatProgress), as
 * before, for logs and pipes.
 */
export function createMigrateProgress(stream: ProgressStream, clock: () => number = Date.now) {
  const bar = liveBar(stream, FORMAT, FORMAT_NO_TOTAL);
  const startedAt = clock();
  let total: number | undefined;
  let orgs = 0;
  let resources = 0;
  return {
    onProgress(event: ProgressEvent): void {
      if (event.side === 'source') {
        if (event.orgsTotal !== undefined) total = event.orgsTotal;
        return;
      }
      if (!bar) {
        stream.write(`${formatProgress(event)}\n`);
        return;
      }
      // An org's later passes are its grants and members: the org was counted when it went in.
      if (event.step !== 'later-passes') orgs++;
      resources += event.resources;
      bar.update(orgs, total === undefined ? undefined : Math.max(total, orgs), {
        rate: ratePerSecond(resources, startedAt, clock()),
        org: event.orgName || event.orgId,
      });
    },
    stop(): void {
      bar?.stop();
    },
  };
}
