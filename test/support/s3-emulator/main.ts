/**
 * Runs the S3 emulator as its own process:
 * `tsx test/support/s3-emulator/main.ts --port 0 --access-key-id ID --secret-access-key SECRET`
 * (env S3_EMULATOR_ACCESS_KEY_ID / S3_EMULATOR_SECRET_ACCESS_KEY work too; 0 picks a free
 * port; region us-east-1). `--exit-with-stdin` makes it exit when its stdin closes. Prints
 * exactly one `listening on http://127.0.0.1:PORT` line once it accepts connections;
 * test/support/s3-emulator.ts waits for that line.
 */
import { parseArgs } from 'node:util';
import { createS3EmulatorServer } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'access-key-id': { type: 'string' },
    'secret-access-key': { type: 'string' },
    region: { type: 'string', default: 'us-east-1' },
    'exit-with-stdin': { type: 'boolean', default: false },
  },
});
const rawPort = values.port ?? process.env.PORT ?? '0';
const accessKeyId = values['access-key-id'] ?? process.env.S3_EMULATOR_ACCESS_KEY_ID;
const secretAccessKey = values['secret-access-key'] ?? process.env.S3_EMULATOR_SECRET_ACCESS_KEY;
if (!/^\d+$/.test(rawPort) || Number(rawPort) > 65535 || !accessKeyId || !secretAccessKey) {
  process.stderr.write('usage: main.ts --port N --access-key-id ID --secret-access-key SECRET [--region R]\n');
  process.exit(2);
}

const server = createS3EmulatorServer({ accessKeyId, secretAccessKey, region: values.region });
server.listen(Number(rawPort), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : rawPort;
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
});

const shutdown = () => {
  // Keep-alive and deliberately hanging sockets would hold close() open forever.
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (values['exit-with-stdin']) {
  process.stdin.on('close', shutdown);
  process.stdin.resume();
}
