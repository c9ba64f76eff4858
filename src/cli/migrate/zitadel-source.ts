import * as grpc from '@grpc/grpc-js';
import { AdminService, type DataOrg } from '../../../gen/zitadel/admin_pb.js';
import type { Org } from '../../../gen/zitadel/org_pb.js';
import { GrpcClient, GrpcError } from '../grpc-client.js';
import { type GcsDetour, readGcsExport } from './gcs-detour.js';
import { resourceCount } from './org-parts.js';
import { type Endpoint, MigrationError, type OrgSource, onSide, type Progress } from './types.js';

export interface ZitadelSourceOptions {
  orgIds: string[];
  excludedOrgIds: string[];
  withPasswords: boolean;
  withOtp: boolean;
  /** Sent with every call (ZITADEL's ExportData wants a Go duration). */
  timeout: string;
  /** Largest ExportData answer accepted: one org must fit. */
  maxMessageBytes: number;
  /** Export through GCS instead of the response. */
  viaGcs?: GcsDetour;
  progress: Progress;
}

// ListOrgs pages: well under ZITADEL's default list limit (1000).
const PAGE = 100;

/**
 * A ZITADEL source, read with ZITADEL's own AdminService: ListOrgs for the orgs (filtered by
 * --org / --exclude-org), then ExportData one org per call with `response_output`, so no answer
 * is bigger than one org; or, with `viaGcs`, one ExportData writing ZITADEL's `gcs_output`,
 * read back from GCS org by org.
 */
export function createZitadelSource(endpoint: Endpoint, options: ZitadelSourceOptions): OrgSource {
  const client = new GrpcClient(AdminService, endpoint.url, endpoint.token, { maxReceiveBytes: options.maxMessageBytes });

  const listOrgs = async (signal: AbortSignal): Promise<Org[]> => {
    const orgs: Org[] = [];
    for (;;) {
      const page = await client.unary(
        AdminService.method.listOrgs,
        { query: { offset: BigInt(orgs.length), limit: PAGE, asc: true } },
        { signal },
      );
      orgs.push(...page.result);
      if (page.result.length === 0 || BigInt(orgs.length) >= (page.details?.totalResult ?? 0n)) return orgs;
    }
  };

  const select = (listed: Org[]): Org[] => {
    const known = new Set(listed.map((o) => o.id));
    const unknown = [...new Set([...options.orgIds, ...options.excludedOrgIds])].filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new MigrationError('source', new GrpcError(grpc.status.NOT_FOUND, `organisations not found: ${unknown.join(', ')}`));
    }
    const wanted = options.orgIds.length > 0 ? new Set(options.orgIds) : known;
    const excluded = new Set(options.excludedOrgIds);
    return listed.filter((o) => wanted.has(o.id) && !excluded.has(o.id));
  };

  const exportOne = async (org: Org, signal: AbortSignal): Promise<DataOrg | undefined> => {
    try {
      const answer = await client.unary(
        AdminService.method.exportData,
        {
          orgIds: [org.id],
          withPasswords: options.withPasswords,
          withOtp: options.withOtp,
          responseOutput: true,
          timeout: options.timeout,
        },
        { signal },
      );
      return answer.orgs.find((o) => o.orgId === org.id);
    } catch (e) {
      if (
        e instanceof GrpcError &&
        e.code === grpc.status.RESOURCE_EXHAUSTED && // grpc-js's own limit: "Received message larger than max (…)" or, compressed, "… decompresses to a size larger than …".
        /^Received message .*larger than/.test(e.details)
      ) {
        throw new MigrationError(
          'source',
          new GrpcError(
            e.code,
            `org ${org.id} (${org.name}) is larger than --max-message-bytes ${options.maxMessageBytes}: raise the limit, or export through GCS with --via-gcs`,
          ),
        );
      }
      throw e;
    }
  };

  return {
    kind: 'zitadel',
    async *orgs(signal): AsyncGenerator<DataOrg> {
      try {
        const selected = select(await listOrgs(signal));
        const names = new Map(selected.map((o) => [o.id, o.name]));
        const read = (org: DataOrg) =>
          options.progress({
            side: 'source',
            step: 'read',
            orgId: org.orgId,
            orgName: names.get(org.orgId) ?? '',
            resources: resourceCount(org),
            orgsTotal: selected.length,
          });
        if (options.viaGcs) {
          if (selected.length === 0) return;
          await client.unary(
            AdminService.method.exportData,
            {
              orgIds: selected.map((o) => o.id),
              withPasswords: options.withPasswords,
              withOtp: options.withOtp,
              gcsOutput: {
                bucket: options.viaGcs.bucket,
                path: options.viaGcs.path,
                serviceaccountJson: options.viaGcs.serviceAccountJsonBase64,
              },
              timeout: options.timeout,
            },
            { signal },
          );
          for await (const org of readGcsExport(options.viaGcs, signal)) {
            await read(org);
            yield org;
          }
          return;
        }
        for (const listed of selected) {
          // An org removed since ListOrgs is simply not there any more.
          const org = await exportOne(listed, signal);
          if (!org) continue;
          await read(org);
          yield org;
        }
      } catch (e) {
        throw onSide('source', e);
      }
    },
    close: () => client.close(),
  };
}
