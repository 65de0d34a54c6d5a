// npm run build: the runner and the CLI bundles (synth and bin/nslab build them too when stale).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- shared with the JS shims
const { buildRunner, buildCli } = require("./bundle.cjs") as { buildRunner(): string; buildCli(): string };
console.log(`netops runner: ${buildRunner()}\nnslab CLI: ${buildCli()}`);
