import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { rootCertificates } from '../../src/cli/grpc-client.js';
import { seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { seed } from '../support/export-helpers.js';

// https:// sides: TLS with certificate checks, trusting Node's CAs and the system's store. A
// TLS terminator (ALPN h2) in front of each app stands in for ZITADEL Cloud's ingress; its
// self-signed certificate is trusted only through NODE_EXTRA_CA_CERTS.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let zitadel: TestApp;
let idport: TestApp;
let dir: string;
let certFile: string;
const proxies: tls.Server[] = [];

async function tlsProxy(app: TestApp, key: Buffer, cert: Buffer): Promise<string> {
  const server = tls.createServer({ key, cert, ALPNProtocols: ['h2'] }, (socket) => {
    const upstream = net.connect(app.port, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    const end = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxies.push(server);
  return `https://localhost:${(server.address() as net.AddressInfo).port}`;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'idport-migrate-tls-'));
  certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  [zitadel, idport] = await Promise.all([startTestApp({ services: { idport: false } }), startTestApp()]);
});

afterAll(async () => {
  for (const p of proxies) p.close();
  await Promise.all([zitadel?.close(), idport?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/migrate.ts', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, NODE_OPTIONS: '', IDPORT_SOURCE_TOKEN: zitadel.token, IDPORT_TARGET_TOKEN: idport.token, ...env },
        timeout: 60_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    );
  });
}

test('the trusted roots include the operating system’s store', () => {
  const roots = rootCertificates().toString();
  for (const pem of tls.getCACertificates('system')) expect(roots).toContain(pem.trim());
  for (const pem of tls.getCACertificates('bundled').slice(0, 5)) expect(roots).toContain(pem.trim());
});

test('ZITADEL over https:// → idport over https://: works with the CA trusted, refused without', async () => {
  const orgs = seededOrgs('-tls');
  await seed(zitadel, orgs);
  const [key, cert] = await Promise.all([readFile(path.join(dir, 'key.pem')), readFile(certFile)]);
  const [from, to] = await Promise.all([tlsProxy(zitadel, key, cert), tlsProxy(idport, key, cert)]);
  const args = [
    '--from',
    from,
    '--to',
    to,
    '--org',
    String(orgs[0]?.orgId),
    '--org',
    String(orgs[1]?.orgId),
    '--with-passwords',
    '--with-otp',
  ];

  const untrusted = await runCli(args, {});
  expect(untrusted.code).toBe(2);
  expect(untrusted.stderr).toMatch(/^migrate: (source|target): UNAVAILABLE/);

  const trusted = await runCli(args, { NODE_EXTRA_CA_CERTS: certFile });
  expect(trusted.stderr).not.toMatch(/^migrate: (source|target): [A-Z_]{4,}/m);
  expect(trusted.code).toBe(0);
  expect(trusted.stdout).toMatch(/^2 org\(s\) imported\ncreated \d+, unchanged 0/);
});
