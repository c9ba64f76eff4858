import type { ServiceImpl } from '@connectrpc/connect';
import type { AdminService } from '../../../gen/zitadel/admin_pb.js';
import type { AdminUseCases } from '../use-cases.js';
import { createDirectoryHandlers } from './directory.handler.js';
import { createExportHandler } from './export.handler.js';
import { createImportHandler } from './import.handler.js';

/** zitadel.admin.v1.AdminService: thin handlers, each one use case. */
export function createAdminHandlers(uc: AdminUseCases): ServiceImpl<typeof AdminService> {
  const directory = createDirectoryHandlers(uc);
  return {
    healthz: () => ({}),
    listOrgs: directory.listOrgs,
    addIAMMember: directory.addIAMMember,
    exportData: createExportHandler(uc),
    importData: createImportHandler(uc),
  };
}
