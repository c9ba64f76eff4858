import { MigrationService } from '../../../gen/idport/v1/migration_pb.js';
import type { DataOrg } from '../../../gen/zitadel/admin_pb.js';
import { GrpcClient } from '../grpc-client.js';
import { resourceCount } from './org-parts.js';
import type { Endpoint, OrgSource, Progress } from './types.js';
import { onSide } from './types.js';

export interface IdportSourceOptions {
  orgIds: string[];
  excludedOrgIds: string[];
  withPasswords: boolean;
  withOtp: boolean;
  timeout: string;
  /** Most resources per streamed message (the server's default is 1000). */
  itemsPerMessage: number;
  progress: Progress;
}

/**
 * An idport source: `idport.v1.MigrationService/StreamExport`, partial DataOrg messages read
 * only as fast as the target takes them (grpc-js asks for the next one when the loop does).
 */
export function createIdportSource(endpoint: Endpoint, options: IdportSourceOptions): OrgSource {
  const client = new GrpcClient(MigrationService, endpoint.url, endpoint.token);
  return {
    kind: 'idport',
    async *orgs(signal): AsyncGenerator<DataOrg> {
      const messages = client.serverStream(
        MigrationService.method.streamExport,
        {
          request: {
            orgIds: options.orgIds,
            excludedOrgIds: options.excludedOrgIds,
            withPasswords: options.withPasswords,
            withOtp: options.withOtp,
            timeout: options.timeout,
          },
          itemsPerMessage: options.itemsPerMessage,
        },
        { signal },
      );
      let current: { orgId: string; orgName: string; resources: number } | undefined;
      const done = async () => current && (await options.progress({ side: 'source', step: 'read', ...current }));
      try {
        for await (const message of messages) {
          const org = message.org;
          if (!org) continue;
          if (current?.orgId !== org.orgId) {
            await done();
            current = { orgId: org.orgId, orgName: org.org?.name ?? '', resources: 0 };
          }
          current.resources += resourceCount(org);
          yield org;
        }
        await done();
      } catch (e) {
        throw onSide('source', e);
      }
    },
    close: () => client.close(),
  };
}
