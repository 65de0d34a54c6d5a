// What a verb's handler is: the verb's arguments, parsed from its description
// (model/verbs.ts), to its exit code.
import type { ArgsOf } from "../../model/argv";
import type { CLI_VERBS, CliVerb } from "../../model/verbs";

export type ArgsFor<V extends CliVerb> = ArgsOf<(typeof CLI_VERBS)[V]>;
export type Handler<V extends CliVerb> = (args: ArgsFor<V>) => Promise<number>;
