import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import type { AdminService } from '../../../gen/zitadel/admin_pb.js';
import type { AdminUseCases } from '../use-cases.js';
import { createDirectoryHandlers } from './directory.handler.js';

/** zitadel.admin.v1.AdminService: thin handlers, each one use case. */
export function createAdminHandlers(uc: AdminUseCases): ServiceImpl<typeof AdminService> {
  const directory = createDirectoryHandlers(uc);
  return {
    healthz: () => ({}),
    listOrgs: directory.listOrgs,
    addIAMMember: directory.addIAMMember,
    exportData: () => {
      throw new ConnectError('export is not available yet', Code.Unimplemented);
    },
    importData: () => {
      throw new ConnectError('import is not available yet', Code.Unimplemented);
    },
  };
}
