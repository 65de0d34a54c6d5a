// npm run build: the library's cdktn flavour, the runner and the CLI bundles (synth and
// bin/nslab build the bundles too when stale).
import { buildFlavour } from "./flavours";
// eslint-disable-next-line @typescript-eslint/no-require-imports -- shared with the JS shims
const { buildRunner, buildCli } = require("./bundle.cjs") as { buildRunner(): string; buildCli(): string };
console.log(`library on cdktn: ${buildFlavour("cdktn")}\nnetops runner: ${buildRunner()}\nnslab CLI: ${buildCli()}`);
