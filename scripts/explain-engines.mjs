// npm itself runs on the system's Node, and when that is older than 22 it prints one EBADENGINE
// warning per package that wants Node 22. The project never runs on that Node: the `node`
// devDependency installs Node 22 into node_modules, and npm scripts (npm start, npm test, npx
// idport) put node_modules/.bin first on PATH. Say so in one line instead of leaving ~100 warnings
// unexplained. npm_config_user_agent is "npm/X node/vY.Z.W …".
const npmNode = /node\/v(\d+)/.exec(process.env.npm_config_user_agent ?? '')?.[1];
if (npmNode !== undefined && Number(npmNode) < 22) {
  console.log(
    `idport: the EBADENGINE warnings above are npm running on the system's Node ${npmNode}; idport runs on the Node 22 in node_modules/node (npm start, npm test and npx idport use it).`,
  );
}
