import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createAuthorizer } from './application/access/authorize.js';
import { createClientCredentials } from './application/access/client-credentials.js';
import { bootstrapInstance } from './application/bootstrap.js';
import { createAccessTokenCommands } from './application/directory/access-tokens.js';
import { createIamMemberCommands } from './application/directory/iam-members.js';
import { createMachineUserCommands } from './application/directory/machine-users.js';
import { createOrgQueries } from './application/directory/orgs.js';
import { createExporter, createExportStreamer } from './application/export/export-data.js';
import { createImporter } from './application/import/import-data.js';
import { createKratosIdentities } from './application/kratos/kratos-identities.js';
import type { Clock } from './application/ports.js';
import { createRealmAdmin } from './application/realm/realm-admin.js';
import { createBlobStorage } from './blob/blob-storage.js';
import { createGcsBlobStorage } from './blob/gcs.js';
import { createLocalBlobStorage } from './blob/local-file.js';
import { createS3BlobStorage } from './blob/s3.js';
import { parseS3AllowList } from './blob/s3-endpoint.js';
import type { Config } from './config.js';
import { createPasswordHasher } from './domain/password-hasher.js';
import { createLogger, type Logger } from './log.js';
import { createDirectoryStore } from './persistence/directory-store.js';
import { createHumanUserReader } from './persistence/identities/human-user-reader.js';
import { createMachineSecretStore } from './persistence/identities/machine-secret-store.js';
import { createRealmSettingsStore } from './persistence/identities/realm-settings-store.js';
import { openDatabase } from './persistence/orm.js';
import { createResourceTransactions } from './persistence/resources/resource-store.js';
import { createUnitOfWork } from './persistence/unit-of-work.js';
import { createAdminHandlers } from './transport/admin/admin.handler.js';
import { createMigrationHandlers } from './transport/idport/migration.handler.js';
import { createAuthInterceptor } from './transport/interceptors/auth.interceptor.js';
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
  const db = await openDatabase(config.database);
  try {
    const directory = createDirectoryStore(db);
    const uow = createUnitOfWork(db);
    const resources = createResourceTransactions(db);

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
        tx: resources,
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
        machineUsers: createMachineUserCommands({ directory }),
        accessTokens: createAccessTokenCommands({ directory, clock }),
        clientCredentials,
      }),
      interceptors: [createErrorsInterceptor(log), createAuthInterceptor(authorize)],
      maxRequestBytes: config.maxRequestBytes,
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
      },
    };
  } catch (e) {
    await db.close();
    throw e;
  }
}
