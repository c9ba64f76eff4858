import { invalidArgument } from '../../domain/errors.js';
import { isJsonObject, type Json, type JsonObject } from '../../domain/json.js';

/**
 * Where a Kratos identity's traits keep the facts a ZITADEL human user has. Kratos traits are
 * whatever the identity schema says (ory/kratos `identity/identity.go`: `Traits json.RawMessage`),
 * so the paths are configurable; the defaults follow Kratos' quickstart schema
 * (`contrib/quickstart/kratos/email-password/identity.schema.json`: `email`, `name.first`, `name.last`).
 */
export interface TraitMapping {
  /** Candidate paths for the user name, first one present wins. */
  userName: readonly string[];
  email: string;
  firstName: string;
  lastName: string;
  phone: string;
}

export interface KratosMapping {
  traits: TraitMapping;
  /** Kratos OIDC provider id (`google`) → idport identity provider id; unlisted providers keep their name. */
  providers: Readonly<Record<string, string>>;
}

export const DEFAULT_TRAIT_MAPPING: TraitMapping = {
  userName: ['username', 'email'],
  email: 'email',
  firstName: 'name.first',
  lastName: 'name.last',
  phone: 'phone',
};

const FIELDS = ['userName', 'email', 'firstName', 'lastName', 'phone'] as const;

/**
 * Reads `IDPORT_KRATOS_TRAITS` (`email=contact.email,firstName=given_name,userName=login|email`)
 * and `IDPORT_KRATOS_PROVIDERS` (`google=2739...,github=2740...`). Unset fields keep their defaults.
 */
export function parseKratosMapping(traits: string | undefined, providers: string | undefined): KratosMapping {
  const mapping: { -readonly [K in keyof TraitMapping]: TraitMapping[K] } = { ...DEFAULT_TRAIT_MAPPING };
  for (const [field, path] of pairs(traits, 'IDPORT_KRATOS_TRAITS')) {
    if (!(FIELDS as readonly string[]).includes(field)) {
      throw new Error(`IDPORT_KRATOS_TRAITS: unknown field "${field}" (known: ${FIELDS.join(', ')})`);
    }
    if (field === 'userName') mapping.userName = path.split('|').filter(Boolean);
    else mapping[field as Exclude<(typeof FIELDS)[number], 'userName'>] = path;
  }
  return { traits: mapping, providers: Object.fromEntries(pairs(providers, 'IDPORT_KRATOS_PROVIDERS')) };
}

function pairs(raw: string | undefined, name: string): [string, string][] {
  if (!raw) return [];
  return raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const i = p.indexOf('=');
      if (i <= 0 || i === p.length - 1) throw new Error(`${name}: "${p}" is not key=value`);
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()];
    });
}

/** The value at a dotted path of a traits object, if it is a non-empty string. */
export function traitAt(traits: JsonObject, path: string): string | undefined {
  let cur: Json | undefined = traits;
  for (const key of path.split('.')) {
    if (!isJsonObject(cur)) return undefined;
    cur = cur[key];
  }
  return typeof cur === 'string' && cur !== '' ? cur : undefined;
}

/** Whether a dotted path exists in a traits object (whatever its value). */
export function hasTrait(traits: JsonObject, path: string): boolean {
  let cur: Json | undefined = traits;
  for (const key of path.split('.')) {
    if (!isJsonObject(cur) || !(key in cur)) return false;
    cur = cur[key];
  }
  return true;
}

/** A copy of `traits` with `path` set to `value`, creating objects on the way. */
export function withTrait(traits: JsonObject, path: string, value: string): JsonObject {
  const [head, ...rest] = path.split('.');
  if (head === undefined || head === '') throw invalidArgument('KRATOS-trait-path', `empty trait path "${path}"`);
  if (rest.length === 0) return { ...traits, [head]: value };
  const child = traits[head];
  return { ...traits, [head]: withTrait(isJsonObject(child) ? child : {}, rest.join('.'), value) };
}
