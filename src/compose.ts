import { randomUUID } from 'node:crypto';
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
import { createKratosIdentities } from './application/kratos/kratos-identities.js';
import type { Clock } from './application/ports.js';
import { createReadiness, databaseReadiness } from './application/readiness.js';
import { createRealmAdmin } from './application/realm/realm-admin.js';
import { createBlobStorage } from './blob/blob-storage.js';
import { createGcsBlobStorage } from './blob/gcs.js';
import { createLocalBlobStorage } from './blob/local-file.js';
import { createS3BlobStorage } from './blob/s3.js';
import { parseS3AllowList } from './blob/s3-endpoint.js';
import type { Config } from './config.js';
import { createPasswordHasher } from './domain/password-hasher.js';
import { createLogger, type Logger } from './log.js';
import { lockDataDir } from './persistence/data-dir-lock.js';
import { databaseUnavailable } from './persistence/db-errors.js';
import { createDirectoryStore } from './persistence/directory-store.js';
import { createHumanUserReader } from './persistence/identities/human-user-reader.js';
import { createMachineSecretStore } from './persistence/identities/machine-secret-store.js';
import { createRealmSettingsStore } from './persistence/identities/realm-settings-store.js';
import { openDatabase } from './persistence/orm.js';
import { createResourceTransactions } from './persistence/resources/resource-store.js';
import { createUnitOfWork } from './persistence/unit-of-work.js';
import { privateDir, writeSecretFile } from './secure-files.js';
import { createAdminHandlers } from './transport/admin/admin.handler.js';
import { createAuthGate } from './transport/gate/auth-gate.js';
import { createMigrationHandlers } from './transport/idport/migration.handler.js';
import { createErrorsInterceptor } from './transport/interceptors/errors.interceptor.js';
import { createKratosHandler } from './transport/kratos/kratos.handler.js';
import { createManagementHandlers } from './transport/management/users.handler.js';
import { createRealmHandler } from './transport/realm/realm.handler.js';
import { createHttpHandler } from './transport/routes.js';
import { listen } from './transport/server.js';

export interface App {
  url: string;
  port: number;
  /** The admin PAT, only on the start that created the instance. */
  bootstrapToken: string | undefined;
  close(): Promise<void>;
}

/** The composition root: the only place that builds adapters and wires them to use cases. */
export async function createApp(config: Config, options: { logger?: Logger; clock?: Clock } = {}): Promise<App> {
  const log = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? { now: () => new Date() };
  // Before the database opens: a bad IDPORT_S3_ENDPOINTS entry stops the start with its message.
  const blobs = createBlobStorage({
    gcs: createGcsBlobStorage(),
    s3: createS3BlobStorage({ allowList: parseS3AllowList(config.s3Endpoints), partSize: config.s3PartSize }),
    local: createLocalBlobStorage({ exportDir: config.exportDir, importDir: config.importDir }),
  });
  let unlock = async () => {};
  if (config.database.kind === 'pglite' && !config.database.dataDir.includes('://')) {
    await privateDir(config.database.dataDir);
    unlock = await lockDataDir(config.database.dataDir);
  }
  let db: Awaited<ReturnType<typeof openDatabase>>;
  try {
    db = await openDatabase(config.database);
  } catch (e) {
    await unlock();
    throw e;
  }
  try {
    const directory = createDirectoryStore(db);
    const uow = createUnitOfWork(db);
    const resources = createResourceTransactions(db);

    const boot = await bootstrapInstance({ uow, clock }, config.bootstrap);
    if (boot.created) {
      await writeSecretFile(config.adminTokenFile, `${boot.token}\n`);
      log.info(`first start: created org ${boot.orgId} and admin user ${boot.userId}; admin token written to ${config.adminTokenFile}`);
    }

    const guard = createTargetGuard({ directory });
    const readiness = createReadiness({ timeoutMs: 2000 });
    readiness.add(databaseReadiness(db));
    const adminUseCases = {
      orgs: createOrgQueries({ directory }),
      iamMembers: createIamMemberCommands({ directory, guard }),
      exportData: createExporter({ tx: resources, blobs }),
      streamExport: createExportStreamer({ tx: resources }),
      importData: createImporter({ tx: resources, blobs, hasher: createPasswordHasher(config.passwordHash) }),
    };
    const importLimits = { maxOrgBytes: config.maxImportOrgBytes };
    const authorize = createAuthorizer({ directory, clock });
    const realmSettings = createRealmSettingsStore(db);
    const clientCredentials = createClientCredentials({ directory, secrets: createMachineSecretStore(db), realms: realmSettings, clock });
    const realm = createRealmHandler({
      realms: createRealmAdmin({ importData: adminUseCases.importData, tx: resources, directory, realms: realmSettings }),
      clientCredentials,
      authorize,
      maxBodyBytes: config.maxRequestBytes,
      onUnexpected: (m, cause) => log.error(m, cause),
    });
    const kratos = createKratosHandler({
      identities: createKratosIdentities({
        importData: adminUseCases.importData,
        users: createHumanUserReader(db),
        directory,
        mapping: config.kratos,
        clock,
        newId: () => randomUUID(),
      }),
      authorize,
      maxBodyBytes: config.maxRequestBytes,
      onUnexpected: (m, cause) => log.error(m, cause),
    });
    const handler = createHttpHandler({
      admin: createAdminHandlers(adminUseCases, importLimits),
      ...(config.services.idport ? { migration: createMigrationHandlers(adminUseCases, importLimits) } : {}),
      management: createManagementHandlers({
        machineUsers: createMachineUserCommands({ directory, guard }),
        accessTokens: createAccessTokenCommands({ directory, clock, guard }),
        clientCredentials,
      }),
      interceptors: [createErrorsInterceptor(log, databaseUnavailable)],
      gate: createAuthGate(authorize, { classify: databaseUnavailable, log }),
      maxRequestBytes: config.maxRequestBytes,
      jsonLimits: config.jsonLimits,
      readiness,
      onUnexpected: (m, cause) => log.error(m, cause),
      fallbacks: [kratos, realm],
    });
    const server = await listen(handler, config.port, config.host);
    const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    return {
      url: `http://${shownHost}:${server.port}`,
      port: server.port,
      bootstrapToken: boot.created ? boot.token : undefined,
      async close() {
        await server.close();
        await db.close();
        await unlock();
      },
    };
  } catch (e) {
    await db.close();
    await unlock();
    throw e;
  }
}
