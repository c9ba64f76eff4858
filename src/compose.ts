import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createAuthorizer } from './application/access/authorize.js';
import { bootstrapInstance } from './application/bootstrap.js';
import { createAccessTokenCommands } from './application/directory/access-tokens.js';
import { createIamMemberCommands } from './application/directory/iam-members.js';
import { createMachineUserCommands } from './application/directory/machine-users.js';
import { createOrgQueries } from './application/directory/orgs.js';
import { createExporter, createExportStreamer } from './application/export/export-data.js';
import { createImporter } from './application/import/import-data.js';
import type { Clock } from './application/ports.js';
import { createBlobStorage } from './blob/blob-storage.js';
import { createGcsBlobStorage } from './blob/gcs.js';
import { createLocalBlobStorage } from './blob/local-file.js';
import type { Config } from './config.js';
import { createPasswordHasher } from './domain/password-hasher.js';
import { createLogger, type Logger } from './log.js';
import { meterResources } from './observability/metered-resources.js';
import { createMetrics } from './observability/metrics.js';
import { createDirectoryStore } from './persistence/directory-store.js';
import { openDatabase } from './persistence/orm.js';
import { createResourceTransactions } from './persistence/resources/resource-store.js';
import { createUnitOfWork } from './persistence/unit-of-work.js';
import { shutdown } from './shutdown.js';
import { StartupError } from './startup-error.js';
import { createAdminHandlers } from './transport/admin/admin.handler.js';
import { withCors } from './transport/cors.js';
import { createDrain } from './transport/drain.js';
import { createMigrationHandlers } from './transport/idport/migration.handler.js';
import { createAuthInterceptor } from './transport/interceptors/auth.interceptor.js';
import { createErrorsInterceptor } from './transport/interceptors/errors.interceptor.js';
import { createManagementHandlers } from './transport/management/users.handler.js';
import type { NodeServerRequest, NodeServerResponse } from './transport/node-types.js';
import { withAccessLog } from './transport/observability/access-log.js';
import { createCallInterceptor } from './transport/observability/call.interceptor.js';
import { withOperatorRoutes } from './transport/operator-routes.js';
import { createHttpHandler } from './transport/routes.js';
import { listen, type RunningServer } from './transport/server.js';

export interface App {
  url: string;
  port: number;
  /** The address the server is bound to (IDPORT_HOST), e.g. 0.0.0.0 = every interface. */
  host: string;
  /** The admin PAT, only on the start that created the instance. */
  bootstrapToken: string | undefined;
  close(): Promise<void>;
  /**
   * Graceful stop (SIGTERM): readiness NOT_SERVING, no new calls, calls in flight get
   * `config.shutdownGraceMs` to finish, then the rest are cancelled (imports roll back).
   */
  shutdown(): Promise<{ cancelled: number }>;
}

/** The generated OpenAPI document, committed beside the protos it is generated from. */
const OPENAPI_FILE = new URL('../openapi/idport.openapi.json', import.meta.url);

/**
 * Binds the port before anything else happens: a taken port fails the start before the database
 * is opened or the first start's instance and token are created. Until the app is wired, calls
 * get UNAVAILABLE.
 */
async function bind(config: Config): Promise<{ server: RunningServer; serve(handler: NodeHandler): void }> {
  let handler: NodeHandler | undefined;
  const starting: NodeHandler = (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end('{"code":14,"message":"idport is starting","details":[]}');
  };
  try {
    const server = await listen((req, res) => (handler ?? starting)(req, res), config.port, config.host);
    return {
      server,
      serve: (h) => {
        handler = h;
      },
    };
  } catch (e) {
    throw StartupError.fromListen(e, config.host, config.port);
  }
}

type NodeHandler = (req: NodeServerRequest, res: NodeServerResponse) => void;

/** The composition root: the only place that builds adapters and wires them to use cases. */
export async function createApp(config: Config, options: { logger?: Logger; clock?: Clock } = {}): Promise<App> {
  const log = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? { now: () => new Date() };
  const { server, serve } = await bind(config);
  let db: Awaited<ReturnType<typeof openDatabase>>;
  try {
    db = await openDatabase(config.database);
  } catch (e) {
    await server.close();
    throw new StartupError(`cannot open the database: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  try {
    const drain = createDrain();
    const metrics = createMetrics({ poolStats: () => db.poolStats(), inFlight: () => drain.busy });
    const directory = createDirectoryStore(db);
    const uow = createUnitOfWork(db);
    const resources = meterResources(createResourceTransactions(db), metrics);
    const blobs = createBlobStorage({
      gcs: createGcsBlobStorage(),
      local: createLocalBlobStorage({ exportDir: config.exportDir, importDir: config.importDir }),
    });

    const boot = await bootstrapInstance({ uow, clock }, config.bootstrap);
    if (boot.created) {
      await mkdir(dirname(config.adminTokenFile), { recursive: true });
      await writeFile(config.adminTokenFile, `${boot.token}\n`, { mode: 0o600 });
      log.info(`first start: created org ${boot.orgId} and admin user ${boot.userId}; admin token written to ${config.adminTokenFile}`);
    }

    const adminUseCases = {
      orgs: createOrgQueries({ directory }),
      iamMembers: createIamMemberCommands({ directory }),
      exportData: createExporter({ tx: resources, blobs }),
      streamExport: createExportStreamer({ tx: resources }),
      importData: createImporter({ tx: resources, blobs, hasher: createPasswordHasher(config.passwordHash) }),
    };
    const importLimits = { maxOrgBytes: config.maxImportOrgBytes };
    const handler = createHttpHandler({
      admin: createAdminHandlers(adminUseCases, importLimits),
      migration: createMigrationHandlers(adminUseCases, importLimits),
      management: createManagementHandlers({
        machineUsers: createMachineUserCommands({ directory }),
        accessTokens: createAccessTokenCommands({ directory, clock }),
      }),
      interceptors: [
        createCallInterceptor(log),
        drain.interceptor,
        createErrorsInterceptor(log),
        createAuthInterceptor(createAuthorizer({ directory, clock })),
      ],
      maxRequestBytes: config.maxRequestBytes,
      onUnexpected: (m, cause) => log.error(m, cause),
      serving: () => !drain.draining,
    });
    let openapi: Promise<string> | undefined;
    const operator = withOperatorRoutes(handler, {
      metrics: () => metrics.render(),
      openapi: () => {
        openapi ??= readFile(OPENAPI_FILE, 'utf8');
        return openapi;
      },
      ready: () => !drain.draining,
    });
    serve(
      withAccessLog(drain.track(withCors(operator, config.corsOrigins)), (call) => {
        metrics.observeCall(call);
        const { durationSeconds, ...fields } = call;
        log.info('call', { ...fields, durationMs: Math.round(durationSeconds * 1e6) / 1e3 });
      }),
    );
    let stopped: Promise<void> | undefined;
    const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    return {
      url: `http://${shownHost}:${server.port}`,
      port: server.port,
      host: config.host,
      bootstrapToken: boot.created ? boot.token : undefined,
      close() {
        stopped ??= server.close().then(() => db.close());
        return stopped.then(() => {});
      },
      shutdown() {
        const done = shutdown({ server, drain, graceMs: config.shutdownGraceMs, log, closeDatabase: () => db.close() });
        stopped ??= done.then(() => {});
        return done;
      },
    };
  } catch (e) {
    await server.close();
    await db.close();
    throw e;
  }
}
