/**
 * CORS from a real browser: headless Chromium (Debian's `chromium`, driven by playwright-core)
 * loads a page from another origin, and the page calls ExportData with @connectrpc/connect-web
 * over Connect and gRPC-Web, bearer token and all, so the preflight is the browser's own. An
 * origin not on IDPORT_CORS_ORIGINS is refused by the browser. CI installs chromium (.ci/run);
 * without it this suite says so and skips.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { seed } from '../support/export-helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) console.warn(`SKIPPED: browser CORS tests need ${CHROMIUM} (apt-get install -y chromium); CI installs it`);
const maybe = available ? describe : describe.skip;

/** What the page runs: connect-web's transports, as a browser app would bundle them. */
const PAGE_SCRIPT = `
import { createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-web';
import { AdminService } from './gen/zitadel/admin_pb.ts';
window.exportOrgs = async (baseUrl, token, protocol) => {
  const bearer = (next) => (req) => { req.header.set('authorization', 'Bearer ' + token); return next(req); };
  const make = protocol === 'grpc-web' ? createGrpcWebTransport : createConnectTransport;
  const client = createClient(AdminService, make({ baseUrl, interceptors: [bearer] }));
  try {
    const res = await client.exportData({ orgIds: [], responseOutput: true, timeout: '30s' });
    return { ok: true, orgIds: res.orgs.map((o) => o.orgId) };
  } catch (e) {
    return { ok: false, message: String(e && e.message) };
  }
};
window.requestIdOf = async (url) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'from-the-page' }, body: '{}' })).headers.get('x-request-id');
`;

async function pageServer(bundle: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(bundle);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><html><head><script type="module" src="/app.js"></script></head><body>idport CORS test</body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

maybe('a page on another origin', () => {
  let browser: Browser;
  let app: TestApp;
  let allowed: { server: Server; origin: string };
  let other: { server: Server; origin: string };

  beforeAll(async () => {
    const out = await build({
      stdin: { contents: PAGE_SCRIPT, resolveDir: new URL('../..', import.meta.url).pathname, loader: 'js' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
    });
    const bundle = out.outputFiles[0]!.text;
    [allowed, other] = await Promise.all([pageServer(bundle), pageServer(bundle)]);
    app = await startTestApp({ corsOrigins: [allowed.origin] });
    await seed(app, seededOrgs('9'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    allowed?.server.close();
    other?.server.close();
  });

  async function openPage(origin: string) {
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => 'exportOrgs' in globalThis);
    return page;
  }

  test.each(['connect', 'grpc-web'])('an allowed origin calls ExportData over %s', async (protocol) => {
    const page = await openPage(allowed.origin);
    const result = await page.evaluate(
      ([url, token, p]) => (globalThis as never as { exportOrgs: (...a: string[]) => Promise<unknown> }).exportOrgs(url!, token!, p!),
      [app.url, app.token, protocol],
    );
    expect(result).toEqual({ ok: true, orgIds: expect.arrayContaining(['1009', '2009']) });
    await page.close();
  });

  test('the page can read the exposed X-Request-Id', async () => {
    const page = await openPage(allowed.origin);
    const id = await page.evaluate(
      (url) => (globalThis as never as { requestIdOf: (u: string) => Promise<string | null> }).requestIdOf(url),
      `${app.url}/zitadel.admin.v1.AdminService/ListOrgs`,
    );
    expect(id).toBe('from-the-page');
    await page.close();
  });

  test('an origin not on the list is refused by the browser', async () => {
    const page = await openPage(other.origin);
    const result = await page.evaluate(
      ([url, token]) => (globalThis as never as { exportOrgs: (...a: string[]) => Promise<unknown> }).exportOrgs(url!, token!, 'connect'),
      [app.url, app.token],
    );
    expect(result).toEqual({ ok: false, message: expect.stringMatching(/Failed to fetch|NetworkError|unavailable/i) });
    await page.close();
  });
});
