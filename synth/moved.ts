// The stack's own resources (nslab-owner, ...) as a lab deployed under nslab's former
// name has them in its state: Terraform moves them to their new addresses, so an upgrade
// neither replaces the owner (whose destroy removes the whole lab) nor leaves a resource
// whose destroy provisioner would never run (model/former-name.ts).
import { makeUniqueId, type TerraformResource } from "./engine";
import { formerOf } from "../model/former-name";
import { NAME } from "../model/name";

/** `moved` blocks for the stack's own resources: each one's construct id and its Terraform resource. */
export function movedFromFormerName(own: readonly { id: string; resource: TerraformResource }[]) {
  return own
    .filter(({ id }) => id.startsWith(NAME))
    .map(({ id, resource }) => {
      const type = resource.terraformResourceType;
      // the address cdktf gave it under its former id (the resource is the construct's one child)
      const from = makeUniqueId([formerOf(id), resource.node.id]);
      return { from: `${type}.${from}`, to: `${type}.${resource.friendlyUniqueId}` };
    });
}
