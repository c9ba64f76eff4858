import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { startTestApp } from '../support/app.js';
import { createCaller } from '../support/protocols.js';

function orgs(n: number, users: number, tag: string) {
  return Array.from({ length: n }, (_, o) => ({
    orgId: `${tag}${o}`,
    org: { name: `Org ${tag} ${o}` },
    humanUsers: Array.from({ length: users }, (_, u) => ({
      userId: `${tag}${o}u${u}`,
      user: { userName: `${tag}-${o}-${u}`, profile: { firstName: 'F', lastName: 'L' }, email: { email: `${tag}${o}.${u}@ex.example` } },
    })),
  }));
}

test('scratch', async () => {
  const t = Date.now();
  const app = await startTestApp();
  console.log('start ms', Date.now() - t);
  const c = createCaller('connect-json', app.url);
  try {
    const t0 = Date.now();
    const r = await c.call(AdminService.method.importData, { dataOrgs: { orgs: orgs(30, 200, 'a') } } as never, { token: app.token });
    console.log('full ms', Date.now() - t0, r.ok, r.ok ? (r.json.errors as unknown[] | undefined)?.length : r);
    const t1 = Date.now();
    const r2 = await c.call(AdminService.method.importData, { timeout: '200ms', dataOrgs: { orgs: orgs(30, 200, 'b') } } as never, { token: app.token });
    console.log('timeout ms', Date.now() - t1, r2.ok ? 'ok' : r2);
    const e = await c.call(AdminService.method.exportData, { responseOutput: true }, { token: app.token });
    if (e.ok) for (const o of e.json.orgs as any[]) if (String(o.orgId).startsWith('b')) console.log(o.orgId, o.humanUsers?.length);
  } finally { c.close(); await app.close(); }
});
