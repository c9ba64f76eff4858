import { create, type DescField, type DescMessage, type Message, toBinary } from '@bufbuild/protobuf';
import { type DataOrg, DataOrgSchema, ImportDataRequestSchema } from '../../../gen/zitadel/admin_pb.js';

/**
 * Cuts one org into DataOrg parts that each fit a message limit, in the order ZITADEL's
 * ImportData works (zitadel/zitadel internal/api/grpc/admin/import.go): within one call it
 * creates the org, then imports the org-local resources in a fixed order (pass 1), then over all
 * orgs of the call trigger actions and grants (pass 2), then members (pass 3). Cutting that
 * sequence into contiguous runs keeps every reference pointing at something an earlier call,
 * or an earlier step of the same call, has written.
 */

type ResourceField = Exclude<keyof DataOrg, '$typeName' | '$unknown' | 'orgId' | 'org' | 'orgState'>;

/**
 * Custom message texts: ZITADEL's import writes these into the org of the call's context
 * (`authz.GetCtxData(ctx).OrgID`, set from `x-zitadel-orgid`), not into `org_id` (import.go,
 * `SetOrgMessageText`). A call may name an org in that header only once it exists (authz
 * context.go answers "Organisation doesn't exist" otherwise), so these never ride in an org's
 * first call, which creates it.
 */
export const ORG_CONTEXT_FIELDS: ReadonlySet<ResourceField> = new Set<ResourceField>([
  'initMessages',
  'passwordResetMessages',
  'verifyEmailMessages',
  'verifyPhoneMessages',
  'domainClaimedMessages',
  'passwordlessRegistrationMessages',
  // Not imported by ZITADEL's ImportData at all (import.go has no step for them); idport does.
  'verifySmsOtpMessages',
  'verifyEmailOtpMessages',
  'inviteUserMessages',
]);

/** DataOrg's resource fields per pass, each pass in import.go's order. */
export const IMPORT_PASSES = [
  [
    'domainPolicy',
    'domains',
    'labelPolicy',
    'lockoutPolicy',
    'oidcIdps',
    'jwtIdps',
    'loginPolicy',
    'passwordComplexityPolicy',
    'privacyPolicy',
    'loginTexts',
    ...ORG_CONTEXT_FIELDS,
    'humanUsers',
    'machineUsers',
    'userMetadata',
    'machineKeys',
    'userLinks',
    'projects',
    'oidcApps',
    'apiApps',
    'appKeys',
    'actions',
    'projectRoles',
  ],
  ['triggerActions', 'projectGrants', 'userGrants'],
  ['orgMembers', 'projectGrantMembers', 'projectMembers'],
] as const satisfies readonly (readonly ResourceField[])[];

// Compile-time: every DataOrg resource field is in exactly the table above.
type Listed = (typeof IMPORT_PASSES)[number][number];
const everyFieldListed: [Exclude<ResourceField, Listed>] extends [never] ? true : never = true;
void everyFieldListed;

export interface OrgPart {
  pass: 1 | 2 | 3;
  org: DataOrg;
  /** Resources in the part (the org head not counted). */
  resources: number;
}

/** One resource alone is over the limit: it cannot be sent in any part. */
export class PartTooLargeError extends Error {
  constructor(
    readonly orgId: string,
    readonly what: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`org ${orgId}: ${what} alone is ${bytes} bytes, over the message limit of ${limit} (--max-message-bytes)`);
    this.name = 'PartTooLargeError';
  }
}

const FIELDS = new Map(DataOrgSchema.fields.map((f) => [f.localName, f]));
// A length-delimited field costs its tag (≤ 2 bytes for numbers < 2048) and a length varint (≤ 5 bytes).
const FIELD_OVERHEAD = 7;
// Room for the request's own fields around the part (timeout, options), generously.
const REQUEST_SLACK = 256;
const ID_FIELDS = ['userId', 'projectId', 'appId', 'actionId', 'grantId', 'idpId', 'keyId', 'id', 'roleKey', 'domainName', 'language'];

function itemsOf(org: DataOrg, field: ResourceField): Message[] {
  const value = org[field] as Message | Message[] | undefined;
  return Array.isArray(value) ? value : value ? [value] : [];
}

function describe(field: DescField, item: Message, index: number): string {
  const record = item as unknown as Record<string, unknown>;
  const id = ID_FIELDS.map((k) => record[k]).find((v) => typeof v === 'string' && v !== '');
  return `${field.name} ${id ?? `#${index + 1}`}`;
}

/**
 * The parts of `org`, each at most `maxBytes` as an ImportData request. With `zitadel` set,
 * each pass starts its own part (the caller sends later passes after every org's earlier ones,
 * as ZITADEL does within one call) and message texts never share the first part (see
 * ORG_CONTEXT_FIELDS). Without it, the parts are for idport's StreamImport, which merges an
 * org's messages before importing, so only the size matters. Every part carries the org head
 * (id, name, state): ZITADEL answers a later part's head with "org already exists" and goes on
 * to import the rest into the existing org; idport counts it unchanged.
 */
export function splitOrg(org: DataOrg, maxBytes: number, options: { zitadel: boolean }): OrgPart[] {
  const head = () => create(DataOrgSchema, { orgId: org.orgId, ...(org.org ? { org: org.org } : {}), orgState: org.orgState });
  const base =
    toBinary(ImportDataRequestSchema, create(ImportDataRequestSchema, { data: { case: 'dataOrgs', value: { orgs: [head()] } } })).length +
    REQUEST_SLACK;
  const parts: OrgPart[] = [];
  let current: (OrgPart & { bytes: number }) | undefined;
  const open = (pass: 1 | 2 | 3) => {
    current = { pass, org: head(), resources: 0, bytes: base };
    parts.push(current);
    return current;
  };
  // The first part always exists: it creates the org, even one without resources.
  open(1);
  for (const [index, fields] of IMPORT_PASSES.entries()) {
    const pass = (index + 1) as 1 | 2 | 3;
    if (options.zitadel && pass > 1) current = undefined;
    for (const name of fields) {
      const field = FIELDS.get(name) as DescField & { message: DescMessage };
      const items = itemsOf(org, name);
      if (options.zitadel && current === parts[0] && ORG_CONTEXT_FIELDS.has(name) && items.length > 0) current = undefined;
      for (const [i, item] of items.entries()) {
        const bytes = toBinary(field.message, item).length + FIELD_OVERHEAD;
        if (base + bytes > maxBytes) throw new PartTooLargeError(org.orgId, describe(field, item, i), base + bytes, maxBytes);
        const part = current && current.bytes + bytes <= maxBytes ? current : open(pass);
        const target = part.org as unknown as Record<string, unknown>;
        if (field.fieldKind === 'list') (target[name] as Message[]).push(item);
        else target[name] = item;
        part.bytes += bytes;
        part.resources++;
      }
    }
  }
  return parts.map(({ pass, org: part, resources }) => ({ pass, org: part, resources }));
}

/** Resources in an org (its head not counted). */
export function resourceCount(org: DataOrg): number {
  return IMPORT_PASSES.flat().reduce((n, name) => n + itemsOf(org, name).length, 0);
}
