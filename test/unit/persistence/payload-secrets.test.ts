import type { JsonObject } from '../../../src/domain/json.js';
import { createAesGcmCipher } from '../../../src/persistence/secrets/aes-gcm-cipher.js';
import { openPayload, resealPayload, sealPayload, stripPayload } from '../../../src/persistence/secrets/payload-secrets.js';
import { secretFieldPaths } from '../../../src/transport/codec/secret-paths.js';

const cipher = createAesGcmCipher(Buffer.alloc(32, 3));
const idp: JsonObject = { idpId: 'i1', idp: { name: 'Google', clientId: 'cid', clientSecret: 's3cr3t', scopes: ['openid'] } };
const PATHS = [['idp', 'clientSecret']];

describe('payload secrets', () => {
  test('sealing touches only the secret field; opening gives the item back', () => {
    const sealed = sealPayload(idp, PATHS, cipher);
    expect(sealed).toEqual({ ...idp, idp: { ...(idp.idp as JsonObject), clientSecret: expect.stringMatching(/^enc:v1:/) } });
    expect(JSON.stringify(sealed)).not.toContain('s3cr3t');
    expect(openPayload(sealed, PATHS, cipher)).toEqual(idp);
    expect(JSON.stringify(openPayload(sealed, PATHS, cipher))).toBe(JSON.stringify(idp));
    expect(idp.idp).toHaveProperty('clientSecret', 's3cr3t');
  });

  test('stripping removes the field and keeps the key order of the rest', () => {
    expect(JSON.stringify(stripPayload(sealPayload(idp, PATHS, cipher), PATHS))).toBe(
      JSON.stringify({ idpId: 'i1', idp: { name: 'Google', clientId: 'cid', scopes: ['openid'] } }),
    );
  });

  test('lists are crossed element by element, `*` covers map values, repeated secrets are sealed one by one', () => {
    const item: JsonObject = { list: [{ s: 'a' }, { s: 'b' }, {}], map: { x: { s: 'c' } }, many: ['d', 'e'] };
    const paths = [['list', 's'], ['map', '*', 's'], ['many']];
    const sealed = sealPayload(item, paths, cipher);
    expect(JSON.stringify(sealed)).not.toMatch(/"[a-e]"/);
    expect(openPayload(sealed, paths, cipher)).toEqual(item);
    expect(stripPayload(sealed, paths)).toEqual({ list: [{}, {}, {}], map: { x: {} } });
  });

  test('empty and absent secrets stay as they are; items without secret paths are the same object', () => {
    const empty: JsonObject = { idp: { clientSecret: '' } };
    expect(sealPayload(empty, PATHS, cipher)).toBe(empty);
    expect(sealPayload({ idpId: 'x' }, PATHS, cipher)).toEqual({ idpId: 'x' });
    expect(sealPayload(idp, [], cipher)).toBe(idp);
  });

  test('reseal: legacy plaintext and old-key values are sealed under the current key; current ones are left alone', () => {
    const oldKey = Buffer.alloc(32, 4);
    const rotated = createAesGcmCipher(Buffer.alloc(32, 5), [oldKey]);
    for (const stored of [idp, sealPayload(idp, PATHS, createAesGcmCipher(oldKey))]) {
      const { item, changed } = resealPayload(stored, PATHS, rotated);
      expect(changed).toBe(true);
      expect(rotated.isCurrent(String((item.idp as JsonObject).clientSecret))).toBe(true);
      expect(openPayload(item, PATHS, rotated)).toEqual(idp);
      expect(resealPayload(item, PATHS, rotated)).toEqual({ item, changed: false });
    }
  });
});

describe('secret paths from the proto option', () => {
  const paths = secretFieldPaths();

  test('the OIDC IdP client secret is a payload secret (AddOrgOIDCIDPRequest.client_secret)', () => {
    expect(paths.oidc_idp).toEqual([['idp', 'clientSecret']]);
  });

  test('human users have none in the payload: password, hash and OTP seed are split off into user_secret', () => {
    expect(paths.human_user).toEqual([]);
  });

  test('every resource kind and the org head have an entry', () => {
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(['org', 'oidc_idp', 'jwt_idp', 'machine_user', 'project']));
  });
});
