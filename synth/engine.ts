// The one module that binds nslab to its CDK engine. CDK for Terraform (cdktf) was
// archived by HashiCorp on 2025-12-10; CDK Terrain (cdktn) is its maintained fork, the
// same API under a new name since 0.22. The library is built once per engine from this
// file alone (scripts/flavours.ts): lib/ imports cdktf, lib/cdktn/ the same code with
// cdktn here, so each flavour's classes and types are that engine's own, and a project
// installs only the engine it uses (both are optional peers).
/** Each engine's flavour of nslab, by the import path a project uses. */
const FLAVOURS = { cdktf: "nslab", cdktn: "nslab/cdktn" } as const;
type Engine = keyof typeof FLAVOURS;

/** The package this flavour of nslab is built on (scripts/flavours.ts rewrites it with the imports). */
export const ENGINE: Engine = "cdktf";

/** Whether Node finds `name` from here. */
function installed(name: string): boolean {
  try {
    require.resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

// before the engine's own require fails with a bare "Cannot find module": say which
// import fits the project
if (!installed(ENGINE)) {
  const other = (Object.keys(FLAVOURS) as Engine[]).find((e) => e !== ENGINE)!;
  throw new Error(
    `nslab: ${FLAVOURS[ENGINE]} is built on ${ENGINE}, which this project does not have. ` +
      (installed(other)
        ? `Fix: the project uses ${other}: import nslab's constructs from "${FLAVOURS[other]}".`
        : `Fix: install a CDK engine: npm install cdktn@0.24 constructs (CDK Terrain; cdktf@0.21 is archived).`),
  );
}

export {
  AssetType,
  Lazy,
  TerraformAsset,
  TerraformProvider,
  TerraformResource,
  TerraformStack,
  type ISynthesisSession,
} from "cdktf";
// the hook TerraformAsset itself uses to write files next to cdk.tf.json (not re-exported)
export { addCustomSynthesis } from "cdktf/lib/synthesize/synthesizer";
// how the engine names a construct's resource (the moved blocks recompute former names)
export { makeUniqueId } from "cdktf/lib/private/unique";
