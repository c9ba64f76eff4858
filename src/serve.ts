import { createApp } from './compose.js';
import { type Config, loadConfig } from './config.js';
import { StartupError } from './startup-error.js';

/** One line on stderr and exit 2: what an operator sees when a start cannot go on. */
function refuse(e: unknown): never {
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`idport: ${message.split('\n', 1)[0]}\n`);
  if (!(e instanceof StartupError) && process.env.IDPORT_LOG_LEVEL === 'debug') console.error(e);
  process.exit(2);
}

/**
 * Runs the server until SIGTERM or SIGINT (npm start, idport serve). A bad setting, a taken port
 * or an unreachable database ends the start with exit code 2 before anything is written.
 */
export async function serve(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (e) {
    refuse(e);
  }
  const app = await createApp(config).catch(refuse);
  const everywhere = app.host === '0.0.0.0' || app.host === '::';
  console.log(
    `idport listening on ${app.host}:${app.port}${everywhere ? ` (every interface; ${app.url} from this machine)` : ''}: ` +
      'gRPC, gRPC-Web, Connect and REST on one port; /metrics, /openapi.json, /healthz, /readyz',
  );
  if (app.bootstrapToken) {
    // Only the file holds the token: stdout ends up in log collectors (issue 9).
    console.log(`admin personal access token written to ${config.adminTokenFile} (mode 0600)`);
  }

  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      app.shutdown().then(
        () => process.exit(0),
        (e) => {
          process.stderr.write(`idport: shutdown failed: ${e instanceof Error ? e.message : String(e)}\n`);
          process.exit(1);
        },
      );
    });
  }
}
