import { createHash, pbkdf2Sync, randomUUID, scryptSync } from 'node:crypto';
import { Configuration, type CreateIdentityBody, IdentityApi } from '@ory/kratos-client';
import bcrypt from 'bcryptjs';

/**
 * Ory's generated client pointed at idport, with a bearer token (or none). Its `oryAccessToken`
 * scheme is an API key sent verbatim in `Authorization`, so the key is the whole header value.
 */
export function kratosClient(url: string, token?: string): IdentityApi {
  return new IdentityApi(new Configuration({ basePath: url, ...(token ? { apiKey: `Bearer ${token}` } : {}) }));
}

/** The HTTP status of a failed client call (axios error), or throws if it did not fail. */
export async function statusOf(call: Promise<unknown>): Promise<{ status: number; body: unknown }> {
  try {
    await call;
  } catch (e) {
    const res = (e as { response?: { status: number; data: unknown } }).response;
    if (res) return { status: res.status, body: res.data };
    throw e;
  }
  throw new Error('expected the call to fail');
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
const salt = Buffer.from('0123456789abcdef');

/**
 * Password hashes in the forms a Kratos export carries (ory/kratos `hash/hash_comparator.go`:
 * bcrypt, argon2id/argon2i in PHC form, pbkdf2 `$pbkdf2-sha256$i=…,l=…$salt$key`, scrypt PHC).
 */
export function kratosHashes(password: string): Record<string, string> {
  return {
    bcrypt: bcrypt.hashSync(password, 4),
    // From argon2-cffi's README (RFC 9106's second recommended option).
    argon2id: '$argon2id$v=19$m=65536,t=3,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg',
    // From the phc-winner-argon2 README.
    argon2i: '$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG',
    'pbkdf2-sha256': `$pbkdf2-sha256$i=100000,l=32$${b64(salt)}$${b64(pbkdf2Sync(password, salt, 100000, 32, 'sha256'))}`,
    'pbkdf2-sha512': `$pbkdf2-sha512$i=100000,l=64$${b64(salt)}$${b64(pbkdf2Sync(password, salt, 100000, 64, 'sha512'))}`,
    scrypt: `$scrypt$ln=14,r=8,p=1$${b64(salt)}$${b64(scryptSync(password, salt, 32, { N: 2 ** 14, r: 8, p: 1 }))}`,
  };
}

/** A base32 TOTP secret (160 bits) and its otpauth URL as Kratos stores it. */
export function totpUrl(account: string, seed = account): string {
  const bytes = createHash('sha1').update(seed).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  let secret = '';
  for (let i = 0; i + 5 <= bits.length; i += 5) secret += alphabet[Number.parseInt(bits.slice(i, i + 5), 2)];
  return `otpauth://totp/Example:${encodeURIComponent(account)}?algorithm=SHA1&digits=6&issuer=Example&period=30&secret=${secret}`;
}

/**
 * An identity as Kratos' admin API lists it with `include_credential=password,oidc,totp`
 * (ory/kratos `spec/api.json` `identity`; ids, timestamps and credential metadata included).
 */
export function listedIdentity(n: number, hash: string): Record<string, unknown> {
  const id = randomUUID();
  const email = `user${n}-${id.slice(0, 8)}@example.com`;
  const at = `2025-0${(n % 9) + 1}-1${n % 10}T10:00:00.123456Z`;
  return {
    id,
    credentials: {
      password: {
        type: 'password',
        identifiers: [email],
        config: { hashed_password: hash },
        version: 0,
        created_at: at,
        updated_at: at,
      },
      oidc: {
        type: 'oidc',
        identifiers: [`github:${n}00${n}`],
        config: {
          providers: [
            {
              initial_id_token: '',
              subject: `${n}00${n}`,
              provider: 'github',
              initial_access_token: '',
              initial_refresh_token: '',
              organization: '',
            },
          ],
        },
        version: 0,
        created_at: at,
        updated_at: at,
      },
      totp: {
        type: 'totp',
        identifiers: [id],
        config: { totp_url: totpUrl(email) },
        version: 0,
        created_at: at,
        updated_at: at,
      },
    },
    schema_id: 'default',
    schema_url: 'http://kratos.example/schemas/ZGVmYXVsdA',
    state: n % 3 === 0 ? 'inactive' : 'active',
    state_changed_at: at,
    traits: { email, name: { first: `First${n}`, last: `Last${n}` }, newsletter: n % 2 === 0, tags: ['a', `t${n}`] },
    verifiable_addresses: [
      {
        id: randomUUID(),
        value: email,
        verified: n % 2 === 0,
        via: 'email',
        status: n % 2 === 0 ? 'completed' : 'sent',
        ...(n % 2 === 0 ? { verified_at: at } : {}),
        created_at: at,
        updated_at: at,
      },
    ],
    recovery_addresses: [{ id: randomUUID(), value: email, via: 'email', created_at: at, updated_at: at }],
    metadata_public: n % 2 === 0 ? { plan: 'pro', seats: n } : null,
    metadata_admin: { crm: `C-${n}` },
    created_at: at,
    updated_at: at,
    organization_id: null,
    ...(n % 2 === 1 ? { external_id: `ext-${id}` } : {}),
  };
}

/** A short random suffix for names no other test uses. */
export const unique = () => randomUUID().slice(0, 8);

/** A Kratos createIdentity body for `email` in the default schema. */
export function identityBody(email: string, extra: Partial<CreateIdentityBody> = {}): CreateIdentityBody {
  return { schema_id: 'default', traits: { email, name: { first: 'Ada', last: 'Lovelace' } }, ...extra };
}

/** A token whose owner holds only `role` (instance-wide), made through idport's REST paths with `adminToken`. */
export async function tokenWithRole(url: string, adminToken: string, role: string): Promise<string> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const user = await post('/management/v1/users/machine', { userName: `kratos-${unique()}`, name: 'Kratos test' });
  const pat = await post(`/management/v1/users/${user.userId}/pats`, { expirationDate: '2099-01-01T00:00:00Z' });
  await post('/admin/v1/members', { userId: user.userId, roles: [role] });
  return String(pat.token);
}
