import { pbkdf2Sync } from 'node:crypto';

const salt = Buffer.from('realm-salt-16byt');

/** A Keycloak pbkdf2-sha256 password credential (27,500 iterations, 512-bit key: Keycloak's defaults). */
export function keycloakPbkdf2(password: string, id: string) {
  const value = pbkdf2Sync(password, salt, 27500, 64, 'sha256').toString('base64');
  return {
    id,
    type: 'password',
    createdDate: 1735689600000,
    secretData: JSON.stringify({ value, salt: salt.toString('base64'), additionalParameters: {} }),
    credentialData: JSON.stringify({ hashIterations: 27500, algorithm: 'pbkdf2-sha256', additionalParameters: {} }),
  };
}

/** A realm as Keycloak exports it (RealmRepresentation), with users, roles and clients. */
export function acmeRealm(realm = 'acme') {
  return {
    id: realm,
    realm,
    displayName: 'ACME Corp',
    enabled: true,
    sslRequired: 'external',
    registrationAllowed: false,
    accessTokenLifespan: 120,
    smtpServer: { host: 'smtp.acme.test', from: 'noreply@acme.test' },
    attributes: { frontendUrl: 'https://id.acme.test' },
    roles: {
      realm: [
        { name: 'user', description: 'Every employee', composite: false, clientRole: false },
        { name: 'admin', composite: false, clientRole: false, attributes: { level: ['high'] } },
      ],
      client: { 'web-app': [{ name: 'editor', description: 'Edits pages', composite: false, clientRole: true }] },
    },
    clients: [
      {
        clientId: 'web-app',
        name: 'Web app',
        enabled: true,
        publicClient: false,
        bearerOnly: false,
        standardFlowEnabled: true,
        redirectUris: ['https://app.acme.test/*'],
        webOrigins: ['https://app.acme.test'],
        protocol: 'openid-connect',
        attributes: { 'pkce.code.challenge.method': 'S256' },
        secret: '**********',
      },
      {
        clientId: 'spa',
        enabled: true,
        publicClient: true,
        bearerOnly: false,
        standardFlowEnabled: true,
        redirectUris: ['http://localhost:3000/*'],
        protocol: 'openid-connect',
      },
      { clientId: 'orders-api', enabled: true, publicClient: false, bearerOnly: true, protocol: 'openid-connect', secret: '**********' },
    ],
    users: [
      {
        id: 'b0f6c9a1-1111-4a4a-9a9a-000000000001',
        username: 'alice',
        firstName: 'Alice',
        lastName: 'Liddell',
        email: 'alice@acme.test',
        emailVerified: true,
        enabled: true,
        createdTimestamp: 1735689600000,
        attributes: { department: ['R&D'] },
        requiredActions: [],
        credentials: [
          keycloakPbkdf2('alice-pw', 'c-1'),
          {
            id: 'c-2',
            type: 'otp',
            userLabel: 'phone',
            secretData: JSON.stringify({ value: 'QMBGvXZaHtKiT5Vhd6Zx' }),
            credentialData: JSON.stringify({ subType: 'totp', digits: 6, counter: 0, period: 30, algorithm: 'HmacSHA1' }),
          },
        ],
        realmRoles: ['user', 'admin'],
        clientRoles: { 'web-app': ['editor'] },
      },
      {
        id: 'b0f6c9a1-1111-4a4a-9a9a-000000000002',
        username: 'bob',
        email: 'bob@acme.test',
        emailVerified: false,
        enabled: false,
        createdTimestamp: 1735689600001,
        credentials: [keycloakPbkdf2('bob-pw', 'c-3')],
        realmRoles: ['user'],
      },
    ],
  };
}
