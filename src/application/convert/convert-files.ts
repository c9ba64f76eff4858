import { randomUUID } from 'node:crypto';
import { invalidArgument, isDomainError } from '../../domain/errors.js';
import { isJsonObject, type Json, type JsonObject, stringAt } from '../../domain/json.js';
import type { StoredHumanUser } from '../ports.js';
import { realmFileToZitadel, zitadelFileToRealm } from './convert-realm-files.js';
import { zitadelToKratos } from './kratos-export.js';
import { kratosToZitadel } from './kratos-identity.js';
import type { KratosMapping } from './kratos-traits.js';

/** The formats offline conversion reads and writes. */
export type Format = 'zitadel' | 'kratos' | 'realm';
export const FORMATS: readonly Format[] = ['zitadel', 'kratos', 'realm'];

export interface ConvertOptions {
  from: Format;
  to: Format;
  mapping: KratosMapping;
  /** ZITADEL org the Kratos identities go to (when they name no organization_id). */
  orgId?: string;
  orgName?: string;
  now?: () => Date;
}

/** What conversion produced, and what it could not carry, one line per item. */
export interface ConvertResult {
  output: Json;
  converted: number;
  problems: string[];
}

/**
 * Converts a file's JSON with no server, between Kratos identities (an array as
 * `GET /admin/identities` lists them, a batch patch body, or one identity), a ZITADEL export
 * (`{"orgs": [DataOrg…]}`) and realms (a Keycloak-style RealmRepresentation, or an array).
 * The same mappers as the running API, so a file converted offline imports like one sent online.
 */
export function convertData(input: Json, options: ConvertOptions): ConvertResult {
  if (options.from === options.to) throw invalidArgument('CONVERT-same', `--from and --to are both ${options.from}`);
  // Every conversion goes through the ZITADEL shape, idport's own.
  const there =
    options.from === 'zitadel'
      ? { output: input, converted: 0, problems: [] }
      : options.from === 'kratos'
        ? kratosFileToZitadel(input, options)
        : realmFileToZitadel(input);
  if (options.to === 'zitadel') return there;
  const back = options.to === 'kratos' ? zitadelFileToKratos(there.output, options) : zitadelFileToRealm(there.output);
  return { output: back.output, converted: back.converted, problems: [...there.problems, ...back.problems] };
}

function identitiesIn(input: Json): Json[] {
  if (Array.isArray(input)) return input;
  if (isJsonObject(input) && Array.isArray(input.identities)) {
    return input.identities.map((p) => (isJsonObject(p) && p.create !== undefined ? p.create : p));
  }
  if (isJsonObject(input)) return [input];
  throw invalidArgument('CONVERT-kratos-input', 'Kratos input must be an identity, an array of identities or {"identities": [...]}');
}

function kratosFileToZitadel(input: Json, options: ConvertOptions): ConvertResult {
  const defaultOrgId = options.orgId ?? randomUUID();
  const orgs = new Map<string, JsonObject>();
  const problems: string[] = [];
  let converted = 0;
  identitiesIn(input).forEach((identity, i) => {
    const label = isJsonObject(identity) && typeof identity.id === 'string' ? identity.id : `#${i}`;
    try {
      const c = kratosToZitadel(identity, {
        mapping: options.mapping,
        defaultOrgId,
        newId: randomUUID,
        now: options.now ?? (() => new Date()),
      });
      let org = orgs.get(c.orgId);
      if (!org) {
        org = {
          orgId: c.orgId,
          org: { name: c.orgId === defaultOrgId ? (options.orgName ?? 'kratos') : c.orgId },
          humanUsers: [],
          userMetadata: [],
          userLinks: [],
        };
        orgs.set(c.orgId, org);
      }
      (org.humanUsers as Json[]).push(c.humanUser);
      for (const m of c.metadata) (org.userMetadata as Json[]).push(m);
      for (const l of c.links) (org.userLinks as Json[]).push(l);
      for (const n of c.notes) problems.push(`identity ${label}: ${n}`);
      converted++;
    } catch (e) {
      if (!isDomainError(e)) throw e;
      problems.push(`identity ${label}: not converted: ${e.message}`);
    }
  });
  for (const org of orgs.values()) if ((org.userLinks as Json[]).length === 0) delete org.userLinks;
  return { output: { orgs: [...orgs.values()] }, converted, problems };
}

const NOT_KRATOS: readonly string[] = [
  'machineUsers',
  'projects',
  'projectRoles',
  'oidcApps',
  'apiApps',
  'userGrants',
  'orgMembers',
  'actions',
];

function zitadelFileToKratos(input: Json, options: ConvertOptions): ConvertResult {
  const orgs = isJsonObject(input) && Array.isArray(input.orgs) ? input.orgs.filter(isJsonObject) : undefined;
  if (!orgs) throw invalidArgument('CONVERT-zitadel-input', 'ZITADEL input must be an export: {"orgs": [...]}');
  const problems: string[] = [];
  const identities: JsonObject[] = [];
  const now = (options.now ?? (() => new Date()))();
  const include = new Set(['password', 'oidc', 'totp']);
  for (const org of orgs) {
    const orgId = stringAt(org, 'orgId');
    const list = (field: string) => (Array.isArray(org[field]) ? (org[field] as Json[]).filter(isJsonObject) : []);
    for (const field of NOT_KRATOS) {
      const n = list(field).length;
      if (n > 0) problems.push(`org ${orgId}: ${n} ${field} not converted (Kratos identities have no counterpart)`);
    }
    for (const human of list('humanUsers')) {
      const id = stringAt(human, 'userId');
      const user = isJsonObject(human.user) ? human.user : {};
      const { hashedPassword: _h, otpCode, password, ...open } = user;
      if (typeof password === 'string' && password)
        problems.push(`user ${id}: plaintext password not converted (Kratos files carry hashes)`);
      const passwordHash = stringAt(user, 'hashedPassword.value') || null;
      const otpSecret = typeof otpCode === 'string' && otpCode ? otpCode : null;
      const stored: StoredHumanUser = {
        id,
        orgId,
        item: { ...human, user: open },
        createdAt: now,
        changedAt: now,
        metadata: list('userMetadata').filter((m) => m.id === id),
        links: list('userLinks').filter((l) => l.userId === id),
        has: { password: passwordHash !== null, otp: otpSecret !== null },
        secrets: { passwordHash, otpSecret },
      };
      identities.push(zitadelToKratos(stored, options.mapping, include));
    }
  }
  return { output: identities, converted: identities.length, problems };
}
