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
  // The signal handlers go in before the start: a SIGTERM while the database opens (a pod
  // stopped as it starts) must close it cleanly, not kill the process mid-write by default.
  let stopping = false;
  const starting = createApp(config).catch(refuse);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      starting
        .then((app) => app.shutdown())
        .then(
          () => process.exit(0),
          (e) => {
            process.stderr.write(`idport: shutdown failed: ${e instanceof Error ? e.message : String(e)}\n`);
            process.exit(1);
          },
        );
    });
  }
  const app = await starting;
  const everywhere = app.host === '0.0.0.0' || app.host === '::';
  if (!stopping) {
    console.log(
      `idport listening on ${app.host}:${app.port}${everywhere ? ` (every interface; ${app.url} from this machine)` : ''}: ` +
        'gRPC, gRPC-Web, Connect and REST on one port; /metrics, /openapi.json, /healthz, /readyz',
    );
  }
  if (app.bootstrapToken) {
    // Only the file holds the token: stdout ends up in log collectors (issue 9).
    console.log(`admin personal access token written to ${config.adminTokenFile} (mode 0600)`);
  }
}
