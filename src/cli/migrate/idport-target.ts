import type { MessageInitShape } from '@bufbuild/protobuf';
import { ConflictPolicy, MigrationService, type StreamImportRequestSchema } from '../../../gen/idport/v1/migration_pb.js';
import type { DataOrg } from '../../../gen/zitadel/admin_pb.js';
import { GrpcClient } from '../grpc-client.js';
import { resourceCount, splitOrg } from './org-parts.js';
import { idportReport } from './report.js';
import type { Endpoint, Kind, OrgTarget, Progress } from './types.js';
import { onSide } from './types.js';

export interface IdportTargetOptions {
  sourceKind: Kind;
  conflictPolicy: 'fail' | 'skip' | 'overwrite';
  dryRun: boolean;
  timeout: string;
  /**
   * Whole orgs (a ZITADEL source answers with those) are cut into messages of at most this
   * size; a streaming source's messages pass as they are.
   */
  maxMessageBytes: number;
  progress: Progress;
}

const POLICY = { fail: ConflictPolicy.FAIL, skip: ConflictPolicy.SKIP, overwrite: ConflictPolicy.OVERWRITE } as const;

type ImportRequest = MessageInitShape<typeof StreamImportRequestSchema>;

/**
 * An idport target: every message of the source goes into one
 * `idport.v1.MigrationService/StreamImport` call as it arrives, and the next is read only once
 * the target's connection has taken it. The answer carries every resource's outcome.
 */
export function createIdportTarget(endpoint: Endpoint, options: IdportTargetOptions): OrgTarget {
  const client = new GrpcClient(MigrationService, endpoint.url, endpoint.token);
  return {
    kind: 'idport',
    async write(orgs, signal) {
      const first: ImportRequest = {
        options: { conflictPolicy: POLICY[options.conflictPolicy], dryRun: options.dryRun },
        timeout: options.timeout,
      };
      async function* requests(): AsyncGenerator<ImportRequest> {
        let sent = 0;
        let current: { orgId: string; orgName: string; resources: number; calls: number } | undefined;
        const done = async () => current && (await options.progress({ side: 'target', step: 'sent', ...current }));
        for await (const org of orgs) {
          if (current?.orgId !== org.orgId) {
            await done();
            current = { orgId: org.orgId, orgName: org.org?.name ?? '', resources: 0, calls: 0 };
          }
          current.resources += resourceCount(org);
          const messages: DataOrg[] =
            options.sourceKind === 'zitadel' ? splitOrg(org, options.maxMessageBytes, { zitadel: false }).map((p) => p.org) : [org];
          current.calls += messages.length;
          for (const message of messages) {
            yield sent++ === 0 ? { ...first, org: message } : { org: message };
          }
        }
        await done();
      }
      try {
        const detailed = await client.clientStream(MigrationService.method.streamImport, requests(), { signal });
        return idportReport(options.sourceKind, detailed);
      } catch (e) {
        throw onSide('target', e);
      }
    },
    close: () => client.close(),
  };
}
