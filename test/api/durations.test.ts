import { Code } from '@connectrpc/connect';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createCallers, PROTOCOLS } from '../support/protocols.js';
import { defaultOrgId } from '../support/roles.js';

/**
 * Issue 9, class 3: `timeout: "597h"` (past Node's 2^31-1 ms timer range) expired at once
 * with 504. A valid Go duration is honoured however long; past Go's range it is 400.
 */
let app: TestApp;
let callers: ReturnType<typeof createCallers>;
let home: string;
beforeAll(async () => {
  app = await startTestApp();
  callers = createCallers(app.url);
  home = await defaultOrgId(app);
});
afterAll(async () => {
  callers.close();
  await app.close();
});

describe.each(PROTOCOLS)('%s', (protocol) => {
  test.each(['597h', '2562047h47m16.854775807s'])('ExportData with timeout "%s" completes', async (timeout) => {
    const r = await callers[protocol].call(
      AdminService.method.exportData,
      { orgIds: [home], responseOutput: true, timeout },
      { token: app.token },
    );
    expect(r).toMatchObject({ ok: true });
  });

  test('ImportData with timeout "1000h" completes', async () => {
    const r = await callers[protocol].call(
      AdminService.method.importData,
      { dataOrgs: { orgs: [] }, timeout: '1000h' },
      { token: app.token },
    );
    expect(r).toMatchObject({ ok: true });
  });

  test('ImportData with timeout "2562048h" is INVALID_ARGUMENT', async () => {
    const r = await callers[protocol].call(
      AdminService.method.importData,
      { dataOrgs: { orgs: [] }, timeout: '2562048h' },
      { token: app.token },
    );
    expect(r).toMatchObject({ ok: false, code: Code.InvalidArgument });
  });
});
