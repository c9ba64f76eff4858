import { Migration } from '@mikro-orm/migrations';

export class Migration20261202005323 extends Migration {
  override name = 'Migration20261202005323';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "audit_event" ("id" bigserial primary key, "time" timestamptz not null default current_timestamp, "principal" varchar(64) not null, "job_id" varchar(36) not null default '', "source" text not null default '', "kind" varchar(64) not null, "org_id" varchar(64) not null default '', "resource_id" text not null default '', "outcome" varchar(16) not null, "digest_before" varchar(64) not null default '', "digest_after" varchar(64) not null default '', "detail" text not null default '');`,
    );
    this.addSql(`create index "audit_event_time" on "audit_event" ("time");`);
    this.addSql(`create index "audit_event_job" on "audit_event" ("job_id", "id");`);
    this.addSql(`create index "audit_event_resource" on "audit_event" ("resource_id", "id");`);

    // Append only: no statement may change or remove an event, whoever runs it, except the
    // retention prune, which sets idport.audit_prune for its own transaction (audit-store.ts).
    // TRUNCATE is refused too (a statement trigger; row triggers do not see it).
    this.addSql(`create function audit_event_append_only() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' and coalesce(current_setting('idport.audit_prune', true), '') = 'on' then
    return old;
  end if;
  raise exception 'audit_event is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
end $$;`);
    this.addSql(
      `create trigger audit_event_no_change before update or delete on "audit_event" for each row execute function audit_event_append_only();`,
    );
    this.addSql(
      `create trigger audit_event_no_truncate before truncate on "audit_event" for each statement execute function audit_event_append_only();`,
    );

    this.addSql(
      `create table "job" ("id" varchar(36) not null, "kind" varchar(16) not null, "state" varchar(16) not null, "principal" varchar(64) not null, "source" text not null, "target" text not null, "request" jsonb not null, "created_at" timestamptz not null default current_timestamp, "started_at" timestamptz null, "finished_at" timestamptz null, "deadline_at" timestamptz null, "lease_owner" varchar(128) null, "lease_expires_at" timestamptz null, "replica" varchar(128) not null default '', "cancel_requested" boolean not null default false, "steps_done" int not null default 0, "progress" jsonb not null, "error" text not null default '', "takeovers" int not null default 0, primary key ("id"));`,
    );
    this.addSql(`create index "job_claim" on "job" ("state", "created_at");`);
    this.addSql(`create index "job_principal" on "job" ("principal", "created_at");`);

    this.addSql(
      `create table "job_step" ("job_id" varchar(36) not null, "step" int not null, "pass" int not null, "org_id" varchar(64) not null, "results" jsonb not null, "state" jsonb not null, primary key ("job_id", "step"));`,
    );

    this.addSql(
      `alter table "job_step" add constraint "job_step_job_id_foreign" foreign key ("job_id") references "job" ("id") on delete cascade;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "job_step" drop constraint "job_step_job_id_foreign";`);

    this.addSql(`drop table if exists "audit_event" cascade;`);
    this.addSql(`drop function if exists audit_event_append_only();`);
    this.addSql(`drop table if exists "job" cascade;`);
    this.addSql(`drop table if exists "job_step" cascade;`);
  }
}
