import { Migration } from '@mikro-orm/migrations';

/**
 * audit_event as runs of events (audit-store.ts; issue 11: a job's overhead over the direct
 * import): one row per run of up to 4096 events that share principal, job, source, kind, org
 * and outcome, with the events' resource ids (text[]), digests (bytea, 32 bytes each, stored
 * uncompressed so a listed event reads only its slice) and details (text[], null when none has
 * one). The resource ids have no index: audit-store.ts says why. Hand-written:
 * scripts/mkmig.ts also proposes dropping the trigger audit_event_no_change, which must stay.
 *
 * Existing events become runs of one; an event's id is now its row id × 65536 + its place in
 * the run, so an old event's id is multiplied by 65536 (ids keep their order; a page token
 * given out before this migration starts its next page over).
 */
export class Migration20261204190000 extends Migration {
  override name = 'Migration20261204190000';

  override up(): void | Promise<void> {
    // The rewrite of old events is this migration's, not an API's: the trigger is off for it
    // only, inside the migration's transaction.
    this.addSql(`alter table "audit_event" disable trigger "audit_event_no_change";`);
    this.addSql(
      `alter table "audit_event" add column "resource_ids" text[] null, add column "digests_before" bytea null, add column "digests_after" bytea null, add column "details" text[] null;`,
    );
    this.addSql(`update "audit_event" set
      "resource_ids" = array["resource_id"],
      "digests_before" = case when "digest_before" = '' then null else decode("digest_before", 'hex') end,
      "digests_after" = case when "digest_after" = '' then null else decode("digest_after", 'hex') end,
      "details" = case when "detail" = '' then null else array["detail"] end;`);
    this.addSql(`alter table "audit_event" alter column "resource_ids" set not null;`);
    this.addSql(`drop index "audit_event_resource";`);
    this.addSql(
      `alter table "audit_event" drop column "resource_id", drop column "digest_before", drop column "digest_after", drop column "detail";`,
    );
    this.addSql(
      `alter table "audit_event" alter column "digests_before" set storage external, alter column "digests_after" set storage external;`,
    );
    this.addSql(`alter table "audit_event" enable trigger "audit_event_no_change";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "audit_event" disable trigger "audit_event_no_change";`);
    this.addSql(`alter table "audit_event" disable trigger "audit_event_no_truncate";`);
    this.addSql(`create table "audit_event_events" as
      select e.id * 65536 + u.n - 1 as id, e.time, e.principal, e.job_id, e.source, e.kind, e.org_id, u.resource_id, e.outcome,
        coalesce(encode(substring(e.digests_before from (u.n::int - 1) * 32 + 1 for 32), 'hex'), '') as digest_before,
        coalesce(encode(substring(e.digests_after from (u.n::int - 1) * 32 + 1 for 32), 'hex'), '') as digest_after,
        coalesce(e.details[u.n], '') as detail
      from "audit_event" e cross join lateral unnest(e.resource_ids) with ordinality as u(resource_id, n);`);
    this.addSql(`truncate "audit_event";`);
    this.addSql(
      `alter table "audit_event" drop column "resource_ids", drop column "digests_before", drop column "digests_after", drop column "details", add column "resource_id" text not null default '', add column "digest_before" varchar(64) not null default '', add column "digest_after" varchar(64) not null default '', add column "detail" text not null default '';`,
    );
    this.addSql(`insert into "audit_event" (id, time, principal, job_id, source, kind, org_id, resource_id, outcome, digest_before, digest_after, detail)
      select id, time, principal, job_id, source, kind, org_id, resource_id, outcome,
        case when digest_before = '${'0'.repeat(64)}' then '' else digest_before end,
        case when digest_after = '${'0'.repeat(64)}' then '' else digest_after end, detail from "audit_event_events";`);
    this.addSql(`drop table "audit_event_events";`);
    this.addSql(`select setval(pg_get_serial_sequence('audit_event', 'id'), coalesce((select max(id) from "audit_event"), 1));`);
    this.addSql(`create index "audit_event_resource" on "audit_event" ("resource_id", "id");`);
    this.addSql(`alter table "audit_event" enable trigger "audit_event_no_truncate";`);
    this.addSql(`alter table "audit_event" enable trigger "audit_event_no_change";`);
  }
}
