// ESM mode is required: MikroORM 7 ships ESM only (see shared/reference/stack-notes.md §6).
// swc strips types without checking them; `npm run typecheck` does the checking.
import { availableParallelism } from 'node:os';

const swc = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'es6' } }];
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': swc },
};
/** A small API tier that CI also runs on the embedded PGlite (the full suite runs on PostgreSQL). */
const SMOKE = ['foundation', 'request-bodies', 'export', 'import-roundtrip', 'access-log', 'metrics', 'openapi'];

// Tiers (README "Test it"): unit (seconds, no I/O), integration (database, blob adapters),
// api (the whole server on port 0), browser (headless Chromium), and smoke (part of api).
export default {
  testTimeout: 60000,
  // Jest's default (cores − 1) is one worker on a 2-core machine, but the suites mostly wait on
  // PostgreSQL and servers: two workers took the full suite from about 11 to 8 minutes there
  // (measured under load, 1,952 tests), with the same results.
  maxWorkers: Math.max(2, availableParallelism() - 1),
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...common, displayName: 'api', testMatch: ['<rootDir>/test/api/**/*.test.ts'] },
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.test.ts'] },
    { ...common, displayName: 'smoke', testMatch: SMOKE.map((name) => `<rootDir>/test/api/${name}.test.ts`) },
  ],
};
