import type { ClientCredentials } from '../application/access/client-credentials.js';
import type { createAccessTokenCommands } from '../application/directory/access-tokens.js';
import type { createIamMemberCommands } from '../application/directory/iam-members.js';
import type { createMachineUserCommands } from '../application/directory/machine-users.js';
import type { createOrgQueries } from '../application/directory/orgs.js';
import type { createExportStreamer } from '../application/export/export-data.js';
import type { createImporter } from '../application/import/import-data.js';
import type { auditExports } from '../application/jobs/audited-acts.js';

/** What the AdminService handlers may call. Built in compose.ts. */
export interface AdminUseCases {
  orgs: ReturnType<typeof createOrgQueries>;
  iamMembers: ReturnType<typeof createIamMemberCommands>;
  exportData: ReturnType<typeof auditExports>;
  streamExport: ReturnType<typeof createExportStreamer>;
  importData: ReturnType<typeof createImporter>;
}

/** What the ManagementService handlers may call. Built in compose.ts. */
export interface ManagementUseCases {
  machineUsers: ReturnType<typeof createMachineUserCommands>;
  accessTokens: ReturnType<typeof createAccessTokenCommands>;
  clientCredentials: ClientCredentials;
}
