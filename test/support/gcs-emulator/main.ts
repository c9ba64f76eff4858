/**
 * Runs the GCS emulator as its own process: `tsx test/support/gcs-emulator/main.ts --port 0`
 * (or env PORT; 0 picks a free port). `--exit-with-stdin` makes it exit when its stdin closes.
 * Prints exactly one `listening on http://127.0.0.1:PORT` line once it accepts connections;
 * test/support/gcs-emulator.ts waits for that line.
 */
import { parseArgs } from 'node:util';
import { createGcsEmulatorServer } from './server.js';

const { values } = parseArgs({
  options: { port: { type: 'string' }, 'exit-with-stdin': { type: 'boolean', default: false } },
});
const rawPort = values.port ?? process.env.PORT ?? '0';
if (!/^\d+$/.test(rawPort) || Number(rawPort) > 65535) {
  process.stderr.write(`invalid port: ${rawPort}\n`);
  process.exit(2);
}

const server = createGcsEmulatorServer();
server.listen(Number(rawPort), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : rawPort;
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
});

const shutdown = () => {
  // Keep-alive sockets would hold close() open forever.
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// A test runner that dies without calling stop() closes our stdin; don't outlive it.
if (values['exit-with-stdin']) {
  process.stdin.on('close', shutdown);
  process.stdin.resume();
}
