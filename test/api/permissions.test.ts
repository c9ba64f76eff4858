import { PUBLIC } from '../../src/domain/permissions.js';
import { declaredPermission } from '../../src/transport/interceptors/auth.interceptor.js';
import { API_SERVICES } from '../../src/transport/routes.js';

// STYLE.md habit 7: every served RPC declares its permission in the proto, and a method
// without one fails here instead of failing closed at runtime. The ZITADEL rows are from
// shared/reference/zitadel-admin-wire.md, "Methods".
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
  'zitadel.management.v1.ManagementService/GenerateMachineSecret': 'user.write',
  'zitadel.management.v1.ManagementService/RemovePersonalAccessToken': 'user.write',
  // idport's own extensions take the permissions of the ZITADEL calls they extend.
  'idport.v1.MigrationService/ImportData': 'iam.write',
  'idport.v1.MigrationService/StreamExport': 'iam.read',
  'idport.v1.MigrationService/StreamImport': 'iam.write',
  // Jobs: starting or cancelling one writes (iam.write); reading them and the audit trail,
  // which holds ids, outcomes and digests and never content, is iam.read (as ExportData).
  'idport.v1.JobService/StartImport': 'iam.write',
  'idport.v1.JobService/StartExport': 'iam.write',
  'idport.v1.JobService/GetJob': 'iam.read',
  'idport.v1.JobService/ListJobs': 'iam.read',
  'idport.v1.JobService/CancelJob': 'iam.write',
  'idport.v1.JobService/GetJobReport': 'iam.read',
  'idport.v1.JobService/WatchJob': 'iam.read',
  'idport.v1.JobService/ListAuditEvents': 'iam.read',
  'idport.v1.JobService/ExportAuditEvents': 'iam.read',
};

const methods = API_SERVICES.flatMap((service) =>
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
