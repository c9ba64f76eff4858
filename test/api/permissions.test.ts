import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { ManagementService } from '../../gen/zitadel/management_pb.js';
import { PUBLIC } from '../../src/domain/permissions.js';
import { declaredPermission } from '../../src/transport/interceptors/auth.interceptor.js';

// STYLE.md habit 7: every RPC declares its permission in the proto, and a method without one
// fails here instead of failing closed at runtime. The table is ZITADEL's
// (shared/reference/zitadel-admin-wire.md, "Methods").
const ZITADEL_PERMISSIONS: Record<string, string> = {
  'zitadel.admin.v1.AdminService/Healthz': 'none',
  'zitadel.admin.v1.AdminService/ListOrgs': 'iam.read',
  'zitadel.admin.v1.AdminService/AddIAMMember': 'iam.member.write',
  'zitadel.admin.v1.AdminService/ImportData': 'iam.write',
  'zitadel.admin.v1.AdminService/ExportData': 'iam.read',
  'zitadel.management.v1.ManagementService/Healthz': 'none',
  'zitadel.management.v1.ManagementService/AddMachineUser': 'user.write',
  'zitadel.management.v1.ManagementService/RemoveUser': 'user.delete',
  'zitadel.management.v1.ManagementService/ListPersonalAccessTokens': 'user.read',
  'zitadel.management.v1.ManagementService/AddPersonalAccessToken': 'user.write',
  'zitadel.management.v1.ManagementService/RemovePersonalAccessToken': 'user.write',
};

const methods = [AdminService, ManagementService].flatMap((service) =>
  service.methods.map((method) => ({ name: `${service.typeName}/${method.name}`, method })),
);

describe('declared permissions', () => {
  test.each(methods)('$name declares a permission', ({ method }) => {
    expect(declaredPermission(method)).toEqual(expect.any(String));
  });

  test.each(methods)('$name is public only if it is Healthz', ({ method }) => {
    expect(declaredPermission(method) === PUBLIC).toBe(method.name === 'Healthz');
  });

  test("every method's permission is ZITADEL's", () => {
    const declared = Object.fromEntries(methods.map(({ name, method }) => [name, declaredPermission(method)]));
    expect(declared).toEqual(ZITADEL_PERMISSIONS);
  });
});
