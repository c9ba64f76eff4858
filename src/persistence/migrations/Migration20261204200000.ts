import { Migration } from '@mikro-orm/migrations';

/**
 * job_step.records: a step's packed runs' records as bytes (step-results.ts v4), sent as a
 * binary parameter, where v3 kept them base64 inside the results JSON (a third larger, and made
 * as a base64 text, then a JSON text, then the parameter's bytes: about 30 MB of a job's peak
 * RSS with 100,000 users in one org, test/bench/job-overhead.ts). Steps written before keep
 * their v3 or v2 results and no records.
 */
export class Migration20261204200000 extends Migration {
  override name = 'Migration20261204200000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "job_step" add column "records" bytea null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "job_step" drop column "records";`);
  }
}
