import { Migration } from '@mikro-orm/migrations';

export class Migration20261123154227 extends Migration {
  override name = 'Migration20261123154227';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "instance" ("id" varchar(32) not null, "default_org_id" varchar(64) not null, "admin_user_id" varchar(64) not null, "created_at" timestamptz not null default current_timestamp, primary key ("id"));`,
    );

    this.addSql(
      `create table "org" ("id" varchar(64) not null, "name" varchar(200) not null, "state" varchar(32) not null, "payload" json not null, "created_at" timestamptz not null default current_timestamp, "changed_at" timestamptz not null default current_timestamp, primary key ("id"));`,
    );
    this.addSql(`create unique index org_name_unique on org (lower(name));`);

    this.addSql(
      `create table "idp" ("id" varchar(64) not null, "org_id" varchar(64) not null, "type" varchar(16) not null, "payload" json not null, primary key ("id"));`,
    );
    this.addSql(`create index "idp_export" on "idp" ("org_id", "id");`);

    this.addSql(
      `create table "action" ("id" varchar(64) not null, "org_id" varchar(64) not null, "payload" json not null, primary key ("id"));`,
    );
    this.addSql(`create index "action_export" on "action" ("org_id", "id");`);

    this.addSql(
      `create table "org_domain" ("org_id" varchar(64) not null, "domain_name" varchar(253) not null, "is_verified" boolean not null, "payload" json not null, primary key ("org_id", "domain_name"));`,
    );
    this.addSql(`create unique index org_domain_verified_unique on org_domain (lower(domain_name)) where is_verified;`);

    this.addSql(
      `create table "org_setting" ("org_id" varchar(64) not null, "kind" varchar(64) not null, "language" varchar(32) not null, "payload" json not null, primary key ("org_id", "kind", "language"));`,
    );

    this.addSql(
      `create table "project" ("id" varchar(64) not null, "org_id" varchar(64) not null, "payload" json not null, primary key ("id"));`,
    );
    this.addSql(`create index "project_export" on "project" ("org_id", "id");`);

    this.addSql(
      `create table "app" ("id" varchar(64) not null, "project_id" varchar(64) not null, "org_id" varchar(64) not null, "type" varchar(16) not null, "payload" json not null, primary key ("id"));`,
    );
    this.addSql(`create index "app_project_id_index" on "app" ("project_id");`);
    this.addSql(`create index "app_export" on "app" ("org_id", "id");`);

    this.addSql(
      `create table "app_key" ("id" varchar(64) not null, "app_id" varchar(64) not null, "org_id" varchar(64) not null, "payload" json not null, primary key ("id"));`,
    );
    this.addSql(`create index "app_key_app_id_index" on "app_key" ("app_id");`);
    this.addSql(`create index "app_key_export" on "app_key" ("org_id", "id");`);

    this.addSql(
      `create table "project_grant" ("id" varchar(64) not null, "project_id" varchar(64) not null, "org_id" varchar(64) not null, "granted_org_id" varchar(64) not null, "payload" json not null, primary key ("id"));`,
    );
    this.addSql(`create index "project_grant_project_id_index" on "project_grant" ("project_id");`);
    this.addSql(`create index "project_grant_granted_org_id_index" on "project_grant" ("granted_org_id");`);
    this.addSql(`create index "project_grant_export" on "project_grant" ("org_id", "id");`);

    this.addSql(
      `create table "project_role" ("project_id" varchar(64) not null, "role_key" varchar(200) not null, "org_id" varchar(64) not null, "payload" json not null, primary key ("project_id", "role_key"));`,
    );
    this.addSql(`create index "project_role_export" on "project_role" ("org_id", "project_id", "role_key");`);

    this.addSql(
      `create table "trigger_action" ("org_id" varchar(64) not null, "flow_type" varchar(64) not null, "trigger_type" varchar(64) not null, "payload" json not null, primary key ("org_id", "flow_type", "trigger_type"));`,
    );

    this.addSql(
      `create table "users" ("id" varchar(64) not null, "org_id" varchar(64) not null, "type" varchar(16) not null, "user_name" varchar(200) not null, "user_name_scope" varchar(64) not null, "state" varchar(32) not null, "payload" json not null, "created_at" timestamptz not null default current_timestamp, "changed_at" timestamptz not null default current_timestamp, primary key ("id"));`,
    );
    this.addSql(`create index "users_export" on "users" ("org_id", "id");`);
    this.addSql(`create unique index users_user_name_unique on users (user_name_scope, lower(user_name));`);

    this.addSql(
      `create table "pat" ("id" varchar(64) not null, "user_id" varchar(64) not null, "token_hash" varchar(64) not null, "expires_at" timestamptz not null, "scopes" jsonb not null, "created_at" timestamptz not null default current_timestamp, primary key ("id"));`,
    );
    this.addSql(`create index "pat_user_id_index" on "pat" ("user_id");`);
    this.addSql(`alter table "pat" add constraint "pat_token_hash_unique" unique ("token_hash");`);

    this.addSql(
      `create table "member" ("scope" varchar(16) not null, "scope_id" varchar(140) not null, "user_id" varchar(64) not null, "org_id" varchar(64) not null, "roles" jsonb not null, "payload" json not null, primary key ("scope", "scope_id", "user_id"));`,
    );
    this.addSql(`create index "member_export" on "member" ("org_id", "scope", "scope_id", "user_id");`);

    this.addSql(
      `create table "machine_key" ("id" varchar(64) not null, "user_id" varchar(64) not null, "org_id" varchar(64) not null, "payload" json not null, primary key ("id"));`,
    );
    this.addSql(`create index "machine_key_user_id_index" on "machine_key" ("user_id");`);
    this.addSql(`create index "machine_key_export" on "machine_key" ("org_id", "id");`);

    this.addSql(
      `create table "user_grant" ("id" varchar(200) not null, "user_id" varchar(64) not null, "project_id" varchar(64) not null, "org_id" varchar(64) not null, "payload" json not null, primary key ("id"));`,
    );
    this.addSql(`create index "user_grant_user_id_index" on "user_grant" ("user_id");`);
    this.addSql(`create index "user_grant_project_id_index" on "user_grant" ("project_id");`);
    this.addSql(`create index "user_grant_export" on "user_grant" ("org_id", "id");`);

    this.addSql(
      `create table "user_link" ("idp_id" varchar(64) not null, "provided_user_id" varchar(200) not null, "user_id" varchar(64) not null, "org_id" varchar(64) not null, "payload" json not null, primary key ("idp_id", "provided_user_id"));`,
    );
    this.addSql(`create index "user_link_user_id_index" on "user_link" ("user_id");`);
    this.addSql(`create index "user_link_export" on "user_link" ("org_id", "idp_id", "provided_user_id");`);

    this.addSql(
      `create table "user_metadata" ("user_id" varchar(64) not null, "key" varchar(200) not null, "org_id" varchar(64) not null, "payload" json not null, primary key ("user_id", "key"));`,
    );
    this.addSql(`create index "user_metadata_export" on "user_metadata" ("org_id", "user_id", "key");`);

    this.addSql(
      `create table "user_secret" ("user_id" varchar(64) not null, "password_hash" text null, "otp_secret" text null, primary key ("user_id"));`,
    );

    this.addSql(`alter table "idp" add constraint "idp_org_id_foreign" foreign key ("org_id") references "org" ("id") on delete cascade;`);

    this.addSql(
      `alter table "action" add constraint "action_org_id_foreign" foreign key ("org_id") references "org" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "org_domain" add constraint "org_domain_org_id_foreign" foreign key ("org_id") references "org" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "org_setting" add constraint "org_setting_org_id_foreign" foreign key ("org_id") references "org" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "project" add constraint "project_org_id_foreign" foreign key ("org_id") references "org" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "app" add constraint "app_project_id_foreign" foreign key ("project_id") references "project" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "app_key" add constraint "app_key_app_id_foreign" foreign key ("app_id") references "app" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "project_grant" add constraint "project_grant_project_id_foreign" foreign key ("project_id") references "project" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "project_role" add constraint "project_role_project_id_foreign" foreign key ("project_id") references "project" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "trigger_action" add constraint "trigger_action_org_id_foreign" foreign key ("org_id") references "org" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "users" add constraint "users_org_id_foreign" foreign key ("org_id") references "org" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "pat" add constraint "pat_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "member" add constraint "member_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "machine_key" add constraint "machine_key_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "user_grant" add constraint "user_grant_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "user_link" add constraint "user_link_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "user_metadata" add constraint "user_metadata_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "user_secret" add constraint "user_secret_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`,
    );
  }
}
