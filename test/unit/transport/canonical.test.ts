import { readFileSync } from 'node:fs';
import { type DescMessage, fromJson, type JsonValue, toJson } from '@bufbuild/protobuf';
import { DataOrgSchema } from '../../../gen/zitadel/admin_pb.js';
import { isCanonical } from '../../../src/transport/codec/canonical.js';
import { seededOrgs } from '../../fixtures/data-orgs.js';

// isCanonical lets the import codec skip `toJson(fromJson(…))` for an item. It may answer false
// for a canonical item (that only costs time), never true for one normalising would change.
const normalise = (desc: DescMessage, json: unknown) =>
  toJson(desc, fromJson(desc, json as JsonValue, { ignoreUnknownFields: true }), { alwaysEmitImplicit: false });
const field = (name: string) => {
  const f = DataOrgSchema.fields.find((x) => x.jsonName === name);
  if (!f?.message) throw new Error(`no message field ${name}`);
  return f.message;
};
const User = field('humanUsers');
const LoginPolicy = field('loginPolicy');
const Metadata = field('userMetadata');
const user = { userId: 'u1', user: { userName: 'alice', profile: { firstName: 'A', lastName: 'L' } }, state: 'USER_STATE_ACTIVE' };

/** Every resource of the fixture orgs (hand-written and a golden export), with its message. */
function fixtureItems(): [DescMessage, unknown][] {
  const golden = JSON.parse(readFileSync(new URL('../../fixtures/golden/export-org-200.json', import.meta.url), 'utf8'));
  const out: [DescMessage, unknown][] = [];
  for (const org of [...seededOrgs(), golden] as Record<string, unknown>[]) {
    for (const f of DataOrgSchema.fields) {
      const value = org[f.jsonName];
      if (!f.message || value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) out.push([f.message, item]);
    }
  }
  return out;
}

describe('isCanonical', () => {
  test('true only where normalising gives the same JSON text, and true for what normalising gives', () => {
    const items = fixtureItems();
    let canonical = 0;
    for (const [desc, item] of items) {
      const normal = normalise(desc, item);
      if (isCanonical(desc, item)) {
        canonical += 1;
        expect(JSON.stringify(normal)).toBe(JSON.stringify(item));
      }
      // Normalised output is canonical unless it holds a form the check declines (a Duration, a Timestamp, a float).
      if (!/"\d+(\.\d+)?s"|"\d{4}-\d\d-\d\dT|\d\.\d/.test(JSON.stringify(normal)))
        expect([desc.typeName, isCanonical(desc, normal)]).toEqual([desc.typeName, true]);
    }
    expect(canonical).toBeGreaterThan(items.length / 2);
  });

  test.each<[string, DescMessage, unknown]>([
    ['an unknown field (dropped)', User, { ...user, extra: 1 }],
    ['a proto field name (renamed)', User, { user_id: 'u1' }],
    ['fields out of field-number order (reordered)', User, { state: 'USER_STATE_ACTIVE', userId: 'u1' }],
    ['a null field (dropped)', User, { userId: 'u1', user: null }],
    ['an implicit empty string (dropped)', User, { userId: '' }],
    ['an implicit false (dropped)', User, { userId: 'u1', user: { userName: 'a', email: { email: 'a@x', isEmailVerified: false } } }],
    ['an implicit enum zero (dropped)', User, { userId: 'u1', state: 'USER_STATE_UNSPECIFIED' }],
    ['an enum by number (named)', User, { userId: 'u1', state: 1 }],
    ['an unknown enum name (dropped)', User, { userId: 'u1', state: 'USER_STATE_NOPE' }],
    ['an empty list (dropped)', LoginPolicy, { secondFactors: [] }],
    ['a Duration (its own JSON form)', LoginPolicy, { passwordCheckLifetime: '864000s' }],
    ['url-safe base64 bytes (re-encoded)', Metadata, { id: 'u1', key: 'k', value: '-_8=' }],
    ['unpadded base64 bytes (re-encoded)', Metadata, { id: 'u1', key: 'k', value: 'RTA' }],
    ['a list that is not an array', LoginPolicy, { secondFactors: 'SECOND_FACTOR_TYPE_OTP' }],
    ['a string where a message goes', User, { userId: 'u1', user: 'alice' }],
    ['not an object', User, ['u1']],
  ])('false for %s', (_why, desc, json) => {
    expect(isCanonical(desc, json)).toBe(false);
  });

  test.each<[string, DescMessage, unknown]>([
    ['a user as idport and ZITADEL write it', User, user],
    ['an empty message field (kept as {})', User, { userId: 'u1', user: {} }],
    ['padded standard base64 bytes', Metadata, { id: 'u1', key: 'k', value: 'RTA=' }],
    ['a list of enum names', LoginPolicy, { allowUsernamePassword: true, secondFactors: ['SECOND_FACTOR_TYPE_OTP'] }],
  ])('true for %s, and normalising changes nothing', (_why, desc, json) => {
    expect(isCanonical(desc, json)).toBe(true);
    expect(JSON.stringify(normalise(desc, json))).toBe(JSON.stringify(json));
  });
});
