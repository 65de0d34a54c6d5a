// Host: another machine a lab's objects can live on (issue 13), reached by ssh. Terraform
// runs here; each object placed on a Host is created and destroyed by its own
// provisioner, whose runner forwards the work over ssh to a copy of itself on that
// machine (netops/remote.ts). Objects with no Host are on this machine.
import { Construct } from "constructs";
import { checkProps } from "./props";
import { NAME_RE, type RemoteSpec } from "../model/schema";
import { NslabValidationError, message } from "./errors";
import { canonical, familyOf } from "./ipam";
import { Firewall, LabStack } from "./lab-stack";
import { StackOwner } from "./stack-resources";

export interface HostProps {
  /** Its address or DNS name, as ssh reaches it. */
  readonly address: string;
  /** @default "root" (the runner there makes namespaces and firewall rules) */
  readonly user?: string;
  /** @default 22 */
  readonly port?: number;
  /**
   * Private key file (absolute path) on the machine Terraform runs on.
   * @default - ssh's own: the agent, ~/.ssh/id_*
   */
  readonly identityFile?: string;
  /**
   * A known_hosts file of its own (absolute path): a machine met for the first time is
   * added there, a changed host key fails the call.
   * @default - the user's ~/.ssh/known_hosts
   */
  readonly knownHostsFile?: string;
  /**
   * Its address on the network that joins the hosts, where the others send the VXLAN
   * traffic of networks spanning them (ContainerNetwork `hosts`).
   * @default - address, when it is an IP address
   */
  readonly tunnelAddress?: string;
}

const KIND = "Host";

export class Host extends Construct {
  /** Its name in messages and in specs: the construct id. */
  readonly name: string;
  readonly remote: RemoteSpec;
  /** Where the other hosts' tunnels reach it; undefined when address is a name and none was given. */
  readonly tunnelAddress?: string;

  constructor(scope: Construct, id: string, props: HostProps) {
    super(scope, id);
    const stack = LabStack.of(this);
    checkProps(this, "Host", props);
    // its name is the machine's name in messages and records: the id must name a file
    if (!NAME_RE.test(id))
      throw new NslabValidationError(
        this,
        KIND,
        "id",
        `"${id}" cannot name a host`,
        "use letters, digits, dot, dash or underscore",
      );
    const user = props.user ?? "root";
    const port = props.port ?? 22;
    this.tunnelAddress =
      props.tunnelAddress !== undefined
        ? canonical(props.tunnelAddress)
        : familyOf(props.address)
          ? canonical(props.address)
          : undefined;
    this.name = id;
    this.remote = {
      name: id,
      address: props.address,
      user,
      port,
      ...(props.identityFile ? { identityFile: props.identityFile } : {}),
      ...(props.knownHostsFile ? { knownHosts: props.knownHostsFile } : {}),
    };
    // the stack's owner there: made before the host's objects (its create copies and
    // checks the runner, so an unreachable host fails the deploy at once), destroyed
    // after them (its destroy clears whatever the stack still has recorded there)
    new StackOwner(this, "Owner", { stack, host: () => this });
    // the nftables firewall: a table of its own there, of its networks and port mappings
    if (stack.firewall === Firewall.NFTABLES) stack._useNftables(this);
    stack._register(this);
    this.node.addValidation({
      validate: () => {
        const same = stack.membersOf(Host).find((h) => h !== this && h.name === this.name);
        return same
          ? [message(KIND, "id", `"${this.name}" also names ${same.node.path}`, "give each host its own id")]
          : [];
      },
    });
  }
}
