import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createAuthorizer } from './application/access/authorize.js';
import { createClientCredentials } from './application/access/client-credentials.js';
import { createTargetGuard } from './application/access/target-guard.js';
import { bootstrapInstance } from './application/bootstrap.js';
import { createAccessTokenCommands } from './application/directory/access-tokens.js';
import { createIamMemberCommands } from './application/directory/iam-members.js';
import { createMachineUserCommands } from './application/directory/machine-users.js';
import { createOrgQueries } from './application/directory/orgs.js';
import { createExporter, createExportStreamer } from './application/export/export-data.js';
import { createImporter } from './application/import/import-data.js';
import { auditExports } from './application/jobs/audited-acts.js';
import { createIdentityScope } from './application/kratos/identity-scope.js';
import { createKratosIdentities } from './application/kratos/kratos-identities.js';
import type { Clock } from './application/ports.js';
import { createReadiness, databaseReadiness } from './application/readiness.js';
import { createRealmAdmin } from './application/realm/realm-admin.js';
import { createBlobStorage } from './blob/blob-storage.js';
import { createGcsBlobStorage } from './blob/gcs.js';
import { createLocalBlobStorage } from './blob/local-file.js';
import { createS3BlobStorage } from './blob/s3.js';
import { parseS3AllowList } from './blob/s3-endpoint.js';
import { composeJobs } from './compose-jobs.js';
import type { Config } from './config.js';
import { createPasswordHasher } from './domain/password-hasher.js';
import { SecretKeyError } from './domain/sealed-secret.js';
import { createLogger, type Logger } from './log.js';
import { meterResources } from './observability/metered-resources.js';
import { createMetrics } from './observability/metrics.js';
import { lockDataDir } from './persistence/data-dir-lock.js';
import { databaseUnavailable } from './persistence/db-errors.js';
import { createDirectoryStore } from './persistence/directory-store.js';
import { createHumanUserReader } from './persistence/identities/human-user-reader.js';
import { createMachineSecretStore } from './persistence/identities/machine-secret-store.js';
import { createRealmSettingsStore } from './persistence/identities/realm-settings-store.js';
import { createAuditStore } from './persistence/jobs/audit-store.js';
import { createJobStore } from './persistence/jobs/job-store.js';
import { type Database, openDatabase } from './persistence/orm.js';
import { limitExports } from './persistence/resources/read-slots.js';
import { createResourceTransactions } from './persistence/resources/resource-store.js';
import { refreshStatisticsBehind } from './persistence/resources/statistics-behind.js';
import { createAesGcmCipher } from './persistence/secrets/aes-gcm-cipher.js';
import { createSecretsAtRest, type SecretsAtRest } from './persistence/secrets/at-rest.js';
import { resealSecrets } from './persistence/secrets/reseal.js';
import { createUnitOfWork } from './persistence/unit-of-work.js';
import { loadSecretKeys } from './secrets-key.js';
import { privateDir, writeSecretFile } from './secure-files.js';
import { shutdown } from './shutdown.js';
import { StartupError } from './startup-error.js';
import { createAdminHandlers } from './transport/admin/admin.handler.js';
import { createImportFileCodec } from './transport/codec/import-file-codec.js';
import { secretFieldPaths } from './transport/codec/secret-paths.js';
import { withCors } from './transport/cors.js';
import { createDrain } from './transport/drain.js';
import { createAuthGate } from './transport/gate/auth-gate.js';
import { createMigrationHandlers } from './transport/idport/migration.handler.js';
import { createErrorsInterceptor } from './transport/interceptors/errors.interceptor.js';
import { createKratosHandler } from './transport/kratos/kratos.handler.js';
import { createManagementHandlers } from './transport/management/users.handler.js';
import type { NodeServerRequest, NodeServerResponse } from './transport/node-types.js';
import { withAccessLog } from './transport/observability/access-log.js';
import { createCallInterceptor } from './transport/observability/call.interceptor.js';
import { withOperatorRoutes } from './transport/operator-routes.js';
import { createRealmHandler } from './transport/realm/realm.handler.js';
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

/**
 * The key that seals secrets at rest, and a pass that seals under it whatever is not (legacy
 * plaintext rows, secrets under an old key). A secret no configured key opens refuses the start
 * with one line naming the key id it needs, before any call can read garbage.
 */
async function openSecrets(config: Config, db: Database, log: Logger): Promise<SecretsAtRest> {
  const keys = await loadSecretKeys(config.secrets);
  const cipher = createAesGcmCipher(keys.current, keys.old);
  if (keys.source === 'key file created') {
    log.info(`first start: secrets key ${cipher.keyId} written to ${config.secrets.keyFile} (mode 0600); back it up`);
    if (config.database.kind === 'postgres') {
      log.warn('DATABASE_URL is shared by replicas: give every replica the same key in IDPORT_SECRETS_KEY, not a key file each');
    }
  }
  if (keys.tightened) log.warn(`secrets key file ${config.secrets.keyFile} was readable by others: its mode is now 0600`);
  const paths = secretFieldPaths();
  let report: Awaited<ReturnType<typeof resealSecrets>>;
  try {
    report = await resealSecrets(db, cipher, paths);
  } catch (e) {
    if (e instanceof SecretKeyError) throw new StartupError(e.message, { cause: e });
    throw e;
  }
  if (report.otpSecrets || report.payloads || report.jobRequests) {
    log.info(
      `secrets sealed under key ${cipher.keyId}: ${report.otpSecrets} OTP seeds, ${report.payloads} resources, ${report.jobRequests} job requests`,
    );
  }
  return createSecretsAtRest(cipher, paths);
}

/** The composition root: the only place that builds adapters and wires them to use cases. */
export async function createApp(config: Config, options: { logger?: Logger; clock?: Clock } = {}): Promise<App> {
  const log = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? { now: () => new Date() };
  // Before the port: a bad IDPORT_S3_ENDPOINTS entry is a bad setting, refused with its message.
  const blobs = createBlobStorage({
    gcs: createGcsBlobStorage(),
    s3: createS3BlobStorage({ allowList: parseS3AllowList(config.s3Endpoints), partSize: config.s3PartSize }),
    local: createLocalBlobStorage({ exportDir: config.exportDir, importDir: config.importDir }),
  });
  const { server, serve } = await bind(config);
  let unlock = async () => {};
  let db: Awaited<ReturnType<typeof openDatabase>>;
  try {
    if (config.database.kind === 'pglite' && !config.database.dataDir.includes('://')) {
      await privateDir(config.database.dataDir);
      unlock = await lockDataDir(config.database.dataDir);
    }
    db = await openDatabase(config.database);
  } catch (e) {
    await server.close();
    await unlock();
    throw new StartupError(`cannot open the database: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  try {
    const drain = createDrain();
    const sealed = await openSecrets(config, db, log);
    const jobCounts = createJobStore(db, sealed);
    const metrics = createMetrics({
      poolStats: () => db.poolStats(),
      inFlight: () => drain.busy,
      jobCounts: () => jobCounts.countByState(),
    });
    const directory = createDirectoryStore(db);
    const uow = createUnitOfWork(db);
    const limited = limitExports(createResourceTransactions(db, sealed), { poolMax: db.poolMax, waitMs: config.streamIdleTimeoutMs });
    const statistics = refreshStatisticsBehind(limited, (e) => log.error('refreshing the planner statistics after an import failed', e));
    const resources = meterResources(statistics, metrics);

    const boot = await bootstrapInstance({ uow, clock }, config.bootstrap);
    if (boot.created) {
      await writeSecretFile(config.adminTokenFile, `${boot.token}\n`);
      log.info(`first start: created org ${boot.orgId} and admin user ${boot.userId}; admin token written to ${config.adminTokenFile}`);
    }

    const guard = createTargetGuard({ directory });
    const audit = createAuditStore(db);
    const hasher = createPasswordHasher(config.passwordHash);
    const importCodec = createImportFileCodec();
    const readiness = createReadiness({ timeoutMs: 2000 });
    readiness.add(databaseReadiness(db));
    readiness.add({ name: 'draining', check: async () => !drain.draining });
    const adminUseCases = {
      orgs: createOrgQueries({ directory }),
      iamMembers: createIamMemberCommands({ directory, uow, guard }),
      exportData: auditExports(createExporter({ tx: resources, blobs }), audit),
      streamExport: createExportStreamer({ tx: resources, idleTimeoutMs: config.streamIdleTimeoutMs }),
      importData: createImporter({ tx: resources, blobs, codec: importCodec, hasher }),
    };
    const jobs = config.services.idport
      ? composeJobs({ db, sealed, tx: resources, blobs, codec: importCodec, hasher, config, log, audit, metrics })
      : undefined;
    const authorize = createAuthorizer({ directory, clock });
    const realmSettings = createRealmSettingsStore(db, sealed);
    const clientCredentials = createClientCredentials({ directory, secrets: createMachineSecretStore(db), realms: realmSettings, clock });
    const onUnexpected = (m: string, cause: unknown) => log.error(m, cause);
    const identityScope = createIdentityScope({ guard, directory });
    const realm = createRealmHandler({
      realms: createRealmAdmin({ importData: adminUseCases.importData, tx: resources, directory, realms: realmSettings }),
      scope: identityScope,
      clientCredentials,
      authorize,
      maxBodyBytes: config.maxRequestBytes,
      onUnexpected,
    });
    const kratos = createKratosHandler({
      identities: createKratosIdentities({
        importData: adminUseCases.importData,
        users: createHumanUserReader(db, sealed),
        directory,
        tx: resources,
        mapping: config.kratos,
        clock,
        newId: () => randomUUID(),
      }),
      scope: identityScope,
      authorize,
      maxBodyBytes: config.maxRequestBytes,
      onUnexpected,
    });
    const handler = createHttpHandler({
      admin: createAdminHandlers(adminUseCases),
      ...(config.services.idport ? { migration: createMigrationHandlers(adminUseCases) } : {}),
      ...(jobs ? { jobs: jobs.handlers } : {}),
      management: createManagementHandlers({
        machineUsers: createMachineUserCommands({ directory, uow, guard }),
        accessTokens: createAccessTokenCommands({ directory, uow, clock, guard }),
        clientCredentials,
      }),
      interceptors: [createCallInterceptor(log), drain.interceptor, createErrorsInterceptor(log, databaseUnavailable)],
      gate: createAuthGate(authorize, { classify: databaseUnavailable, log }),
      maxRequestBytes: config.maxRequestBytes,
      jsonLimits: config.jsonLimits,
      readiness,
      onUnexpected,
      fallbacks: [kratos, realm],
    });
    let openapi: Promise<string> | undefined;
    const operator = withOperatorRoutes(handler, {
      metrics: () => metrics.render(),
      openapi: () => {
        openapi ??= readFile(OPENAPI_FILE, 'utf8');
        return openapi;
      },
      ready: async () => (await readiness.status()).ready,
    });
    serve(
      withAccessLog(drain.track(withCors(operator, config.corsOrigins)), (call) => {
        metrics.observeCall(call);
        const { durationSeconds, ...fields } = call;
        log.info('call', { ...fields, durationMs: Math.round(durationSeconds * 1e6) / 1e3 });
      }),
    );
    jobs?.start();
    let stopped: Promise<void> | undefined;
    const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    return {
      url: `http://${shownHost}:${server.port}`,
      port: server.port,
      host: config.host,
      bootstrapToken: boot.created ? boot.token : undefined,
      close() {
        stopped ??= Promise.all([server.close(), jobs?.stop()])
          .then(() => statistics.settled())
          .then(() => db.close())
          .then(unlock);
        return stopped.then(() => {});
      },
      shutdown() {
        const closeDatabase = async () => {
          await jobs?.stop();
          await statistics.settled();
          await db.close();
          await unlock();
        };
        const done = shutdown({ server, drain, graceMs: config.shutdownGraceMs, log, closeDatabase });
        stopped ??= done.then(() => {});
        return done;
      },
    };
  } catch (e) {
    await server.close();
    await db.close();
    await unlock();
    throw e;
  }
}
