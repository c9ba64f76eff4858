/**
 * Imported first by every entry point, before anything heavy loads: idport needs Node 22.12+
 * (package.json engines; MikroORM 7, kysely and the GCS SDK say so too), and on an older Node
 * it would start and then fail somewhere deep. Refuse at once and name the fix instead.
 */
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `idport: needs Node >= 22.12, this is ${process.version}. Run it through npm (npm start, npx idport), which uses the Node 22 ` +
      'that npm install puts in node_modules/node, or put node_modules/node/bin first on PATH.\n',
  );
  process.exit(2);
}
