import { createApp } from './compose.js';
import { loadConfig } from './config.js';

const config = loadConfig();
const app = await createApp(config).catch((e: unknown) => {
  // One clear line (the data directory in use, a bad setting), not a stack trace.
  console.error(`idport: cannot start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
console.log(`idport listening on ${app.url} (gRPC, gRPC-Web, Connect and REST on one port)`);
if (app.bootstrapToken) {
  // Only the file holds the token: stdout ends up in log collectors (issue 9).
  console.log(`admin personal access token written to ${config.adminTokenFile} (mode 0600)`);
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
