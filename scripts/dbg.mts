import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { openDatabase } from '../src/persistence/orm.ts';
import { createResourceTransactions } from '../src/persistence/resources/resource-store.ts';
import { EXPORT_ORDER } from '../src/domain/resources/kinds.ts';
import { createDataset } from '../test/bench/dataset.ts';
import { copyBatches } from '../test/bench/copy-rows.ts';
const url = 'postgresql://postgres@127.0.0.1:5432/idport_dbg';
const admin = new pg.Client({ connectionString: 'postgresql://postgres@127.0.0.1:5432/test' }); await admin.connect();
await admin.query('drop database if exists idport_dbg with (force)'); await admin.query('create database idport_dbg'); await admin.end();
const db = await openDatabase({ kind: 'postgres', url });
const c = new pg.Client({ connectionString: url }); await c.connect();
for (const org of createDataset({ orgs: 1, usersPerOrg: 100000, projectsPerOrg: 10 }).orgs())
  for (const b of copyBatches(org as never)) await pipeline(Readable.from(b.lines.map((l) => l + '\n')), c.query(copyStreams.from(`copy ${b.table} (${b.columns.map((x) => `"${x}"`).join(',')}) from stdin`)));
await c.query('analyze');
console.log((await c.query(`explain analyze select t.payload::text as payload, t.id from users t left join user_secret s on s.user_id = t.id where t.org_id = '900000' and t.type = 'human' and (t.id) > ('90000000050000') order by t.id limit 2000`)).rows.map((r) => r['QUERY PLAN']).join('\n'));
const tx = createResourceTransactions(db);
await tx.read(AbortSignal.timeout(600000), async (r) => {
  for (const kind of EXPORT_ORDER) { const t = Date.now(); let n = 0; for await (const _ of r.read(kind.type, '900000', { passwords: true, otp: true })) n++; if (n) console.log(kind.type, n, Date.now() - t, 'ms'); }
});
await c.end(); await db.close();
