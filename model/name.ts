// The tool's name as it shows on a machine and in a stack: owner marks (nslab:<stack>),
// chains, nftables tables, folders (/run/nslab, /var/lib/nslab, cdktf.out's nslab/), the
// stack's own resources. Its former name, and what still reads it, is model/former-name.ts.
export const NAME = "nslab";
