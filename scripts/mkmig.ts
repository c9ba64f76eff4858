// Maintainer tool: writes the next MikroORM migration from the entity definitions.
// Usage: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<empty db> tsx scripts/mkmig.ts [--initial]
// then add the new class to src/persistence/migrations/index.ts.
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/postgresql';
import { entities } from '../src/persistence/entities/index.js';
import { migrationsList } from '../src/persistence/migrations/index.js';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL must point at a scratch database');
const orm = await MikroORM.init({
  entities,
  extensions: [Migrator],
  clientUrl: url,
  migrations: { path: new URL('../src/persistence/migrations', import.meta.url).pathname, snapshot: false, emit: 'ts', migrationsList },
});
await orm.migrator.up();
const result = await orm.migrator.create(undefined, false, process.argv.includes('--initial'));
console.log(result.fileName || 'no changes');
await orm.close();
