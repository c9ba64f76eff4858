import { clone, merge } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { AdminService, type DataOrg, DataOrgSchema } from '../../../gen/zitadel/admin_pb.js';
import { GrpcClient, GrpcError } from '../grpc-client.js';
import { type OrgPart, PartTooLargeError, resourceCount, splitOrg } from './org-parts.js';
import { createZitadelReportCollector } from './report.js';
import { type Endpoint, type Kind, MigrationError, type OrgTarget, onSide, type Progress } from './types.js';

export interface ZitadelTargetOptions {
  sourceKind: Kind;
  /** Sent with every call: ZITADEL's ImportData refuses an empty timeout (time.ParseDuration). */
  timeout: string;
  /** Largest ImportData request: orgs are cut into parts under it. */
  maxMessageBytes: number;
  progress: Progress;
}

/** Merges the contiguous messages of each org (a streaming source sends parts). */
async function* wholeOrgs(messages: AsyncIterable<DataOrg>): AsyncGenerator<DataOrg> {
  let current: DataOrg | undefined;
  for await (const message of messages) {
    if (current && current.orgId !== message.orgId) {
      yield current;
      current = undefined;
    }
    if (current) merge(DataOrgSchema, current, message);
    else current = clone(DataOrgSchema, message);
  }
  if (current) yield current;
}

/**
 * A ZITADEL target, written with ZITADEL's own `AdminService/ImportData` and inline
 * `data_orgs`: one org per call, cut into parts under the size limit (see splitOrg), so every
 * call answers with ZITADEL's report. Each org's first pass goes as the org arrives; grants
 * (pass 2) and then members (pass 3) of every org follow once all orgs exist, as ZITADEL orders
 * them inside one call, because they may point at other orgs. Calls about an org that exists
 * carry `x-zitadel-orgid`, which is where ZITADEL files message texts.
 */
export function createZitadelTarget(endpoint: Endpoint, options: ZitadelTargetOptions): OrgTarget {
  const client = new GrpcClient(AdminService, endpoint.url, endpoint.token);
  const collector = createZitadelReportCollector();

  const send = async (part: OrgPart, laterPart: boolean, signal: AbortSignal) => {
    const orgId = part.org.orgId;
    try {
      const answer = await client.unary(
        AdminService.method.importData,
        { data: { case: 'dataOrgs', value: { orgs: [part.org] } }, timeout: options.timeout },
        { signal, ...(laterPart ? { headers: { 'x-zitadel-orgid': orgId } } : {}) },
      );
      collector.add(orgId, laterPart, answer);
      return answer.errors.length;
    } catch (e) {
      throw onSide('target', e, ` (org ${orgId}, ${laterPart ? 'a later part' : 'its first part'})`);
    }
  };

  /** Later parts of an org ZITADEL did not create or find would only fail: they are reported instead. */
  const skipped = (orgId: string, parts: OrgPart[]) => {
    const resources = parts.reduce((n, p) => n + p.resources, 0);
    if (resources > 0) collector.error('org', orgId, `not imported, so ${resources} of its resources were not sent`);
  };

  return {
    kind: 'zitadel',
    async write(orgs, signal) {
      const later: { orgId: string; orgName: string; parts: OrgPart[] }[] = [];
      for await (const org of wholeOrgs(orgs)) {
        let parts: OrgPart[];
        try {
          parts = splitOrg(org, options.maxMessageBytes, { zitadel: true });
        } catch (e) {
          if (!(e instanceof PartTooLargeError)) throw e;
          throw new MigrationError('target', new GrpcError(grpc.status.RESOURCE_EXHAUSTED, e.message));
        }
        const orgName = org.org?.name ?? '';
        const first = parts.filter((p) => p.pass === 1);
        let errors = 0;
        let calls = 0;
        for (const [i, part] of first.entries()) {
          if (i > 0 && !collector.has(org.orgId)) {
            skipped(org.orgId, first.slice(i));
            break;
          }
          errors += await send(part, i > 0, signal);
          calls++;
        }
        await options.progress({
          side: 'target',
          step: 'imported',
          orgId: org.orgId,
          orgName,
          resources: resourceCount(org),
          calls,
          errors,
        });
        later.push({ orgId: org.orgId, orgName, parts: parts.filter((p) => p.pass > 1) });
      }
      for (const pass of [2, 3] as const) {
        for (const { orgId, orgName, parts } of later) {
          const these = parts.filter((p) => p.pass === pass);
          if (these.length === 0) continue;
          if (!collector.has(orgId)) {
            skipped(orgId, these);
            continue;
          }
          let errors = 0;
          for (const part of these) errors += await send(part, true, signal);
          const resources = these.reduce((n, p) => n + p.resources, 0);
          await options.progress({ side: 'target', step: 'later-passes', orgId, orgName, resources, calls: these.length, errors });
        }
      }
      return collector.report(options.sourceKind);
    },
    close: () => client.close(),
  };
}
