import { create, createRegistry, type DescFile, type DescMessage, ScalarType } from '@bufbuild/protobuf';
import { file_idport_v1_migration } from '../../../gen/idport/v1/migration_pb.js';
import { file_zitadel_admin, ImportDataRequestSchema } from '../../../gen/zitadel/admin_pb.js';
import { AddPersonalAccessTokenResponseSchema, file_zitadel_management } from '../../../gen/zitadel/management_pb.js';
import { isSecretField, REDACTED, redactMessage } from '../../../src/transport/observability/redact.js';

/** Every file the API is built from, imports included. */
function withImports(files: DescFile[], seen = new Set<DescFile>()): DescFile[] {
  for (const f of files) {
    if (seen.has(f)) continue;
    seen.add(f);
    withImports(f.dependencies, seen);
  }
  return [...seen];
}
const registry = createRegistry(...withImports([file_zitadel_admin, file_zitadel_management, file_idport_v1_migration]));
const messages = [...registry].filter((t): t is DescMessage => t.kind === 'message');

/** Names that hold a secret wherever they appear (UI texts such as `secret_label` aside). */
const SECRET_NAME = /(^|_)(password|secret|token|otp_code|serviceaccount_json|private_key|secret_access_key)$/;

test('every secret-looking field in the API protos carries (idport.options.v1.secret)', () => {
  const unmarked = messages
    .filter((m) => !m.typeName.startsWith('zitadel.text.v1.'))
    .flatMap((m) =>
      m.fields.filter(
        (f) =>
          f.fieldKind === 'scalar' &&
          (f.scalar === ScalarType.STRING || f.scalar === ScalarType.BYTES) &&
          SECRET_NAME.test(f.name) &&
          !isSecretField(f),
      ),
    )
    .map((f) => `${f.parent.typeName}.${f.name}`);
  expect(unmarked).toEqual([]);
  // The hash itself sits in a field called `value`: marked by hand, checked here.
  const hashed = registry.getMessage('zitadel.management.v1.ImportHumanUserRequest.HashedPassword');
  expect(hashed && isSecretField(hashed.fields[0]!)).toBe(true);
});

test('secrets are redacted at any depth, lists are cut, everything else is shown', () => {
  const user = (i: number) => ({
    userId: `u${i}`,
    user: { userName: `user${i}`, hashedPassword: { value: '$2a$10$secret-hash' }, otpCode: 'JBSWY3DPEHPK3PXP', password: 'plain' },
  });
  const request = create(ImportDataRequestSchema, {
    data: {
      case: 'dataOrgs',
      value: { orgs: [{ orgId: 'o1', humanUsers: [user(1), user(2), user(3), user(4), user(5)] }] },
    },
    timeout: '10m',
  });
  const shown = redactMessage(ImportDataRequestSchema, request);
  const text = JSON.stringify(shown);
  expect(text).not.toContain('secret-hash');
  expect(text).not.toContain('JBSWY3DPEHPK3PXP');
  expect(text).not.toContain('plain');
  expect(shown).toMatchObject({
    timeout: '10m',
    dataOrgs: {
      orgs: [
        {
          orgId: 'o1',
          humanUsers: [
            { userId: 'u1', user: { userName: 'user1', hashedPassword: { value: REDACTED }, otpCode: REDACTED, password: REDACTED } },
            expect.anything(),
            expect.anything(),
            '… 2 more',
          ],
        },
      ],
    },
  });
});

test('a minted token is redacted; the token id is not', () => {
  const shown = redactMessage(
    AddPersonalAccessTokenResponseSchema,
    create(AddPersonalAccessTokenResponseSchema, { tokenId: 't1', token: 'pat-value' }),
  );
  expect(shown).toEqual({ tokenId: 't1', token: REDACTED });
});
