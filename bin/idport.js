#!/usr/bin/env node
// The `idport` command (package.json bin). Plain JavaScript, so it can check the Node version
// and load TypeScript support (tsx) before the CLI itself, which is TypeScript, is imported.
import { register } from 'tsx/esm/api';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `idport: needs Node >= 22.12, this is ${process.version}. Run it as npx idport (which uses the Node 22 in node_modules/node) or put node_modules/node/bin first on PATH.\n`,
  );
  process.exit(2);
}
register();
const { runCli } = await import('../src/cli/idport.ts');
await runCli();
