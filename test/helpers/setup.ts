import { Testing } from "cdktf";
import { formerOf } from "../../model/former-name";
Testing.setupJest();
// Tests choose their sandbox explicitly; an exported variable from a shell must not leak in.
delete process.env.NSLAB_HOST_NETNS;
delete process.env[formerOf("NSLAB_HOST_NETNS")];
process.env.CHECKPOINT_DISABLE = "1";
process.env.DISABLE_VERSION_CHECK = "1";
process.env.TF_CLI_CONFIG_FILE = "/dev/null";
