import './runtime-check.js';
import { createApp } from './compose.js';
import { loadConfig } from './config.js';

const config = loadConfig();
const app = await createApp(config);
console.log(`idport listening on ${app.url} (gRPC, gRPC-Web, Connect and REST on one port)`);
if (app.bootstrapToken) {
  // Printed exactly once, on the start that minted it; it is also in the token file.
  console.log(`admin personal access token (shown once): ${app.bootstrapToken}`);
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
