// `nslab deploy|destroy|diff [stack...]`: what the code says, through Terraform (cli/deploy.ts).
import { tfVerb, type TfVerb } from "../deploy";
import type { Handler } from "./types";

const through =
  (verb: TfVerb): Handler<"deploy" | "destroy"> =>
  ({ pos, flags }) =>
    tfVerb({ verb, stacks: pos.stack, json: !!flags.json, parallelism: flags.parallelism });

export const deploy = through("deploy");
export const destroy = through("destroy");
export const diff: Handler<"diff"> = ({ pos, flags }) =>
  tfVerb({ verb: "diff", stacks: pos.stack, json: !!flags.json });
