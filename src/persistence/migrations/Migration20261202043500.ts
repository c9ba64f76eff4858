import { Migration } from '@mikro-orm/migrations';

export class Migration20261202043500 extends Migration {
  override name = 'Migration20261202043500';

  override up(): void | Promise<void> {
    this.addSql(`alter table "job" add column "source_fingerprint" jsonb null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "job" drop column "source_fingerprint";`);
  }
}
