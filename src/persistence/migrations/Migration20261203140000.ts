import { Migration } from '@mikro-orm/migrations';

/**
 * Cheaper writes for import jobs (issue 11), hand-written (scripts/mkmig.ts also proposes
 * dropping the trigger audit_event_no_change, which must stay):
 * - audit_event's time index as BRIN: events are appended in time order, so block ranges
 *   answer time filters, and a pass's events no longer update a B-tree entry each.
 * - job_step.results as json: it is only ever read back whole, so parsing it into jsonb on
 *   every checkpoint bought nothing.
 */
export class Migration20261203140000 extends Migration {
  override name = 'Migration20261203140000';

  override up(): void | Promise<void> {
    this.addSql(`drop index "audit_event_time";`);
    this.addSql(`create index "audit_event_time" on "audit_event" using brin ("time");`);
    this.addSql(`alter table "job_step" alter column "results" type json using "results"::json;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "job_step" alter column "results" type jsonb using "results"::jsonb;`);
    this.addSql(`drop index "audit_event_time";`);
    this.addSql(`create index "audit_event_time" on "audit_event" ("time");`);
  }
}
