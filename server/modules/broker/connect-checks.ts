// Every connection to an upstream is checked on the address actually connected, after DNS: a name
// that resolves to a loopback, private, link-local or metadata address is refused (a public name
// pointed at 169.254.169.254 would otherwise reach the cloud's metadata service).
import { type LookupAddress, lookup } from "node:dns";
import { privateAddress } from "./upstream.ts";

export class UpstreamRefusedError extends Error {
  override name = "UpstreamRefusedError";
  readonly code = "AGENT_VAULT_UPSTREAM_REFUSED";
}

type LookupCallback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup, refusing private addresses (the connect option of the broker's HTTP client). */
export function checkedLookup(hostname: string, options: object, callback: LookupCallback): void {
  lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    if (addresses.length === 0 || addresses.some((one) => privateAddress(one.address))) {
      return callback(new UpstreamRefusedError(`${hostname} resolves to a private address`), []);
    }
    if ((options as { all?: boolean }).all) return callback(null, addresses);
    const [first] = addresses as [LookupAddress];
    callback(null, first.address, first.family);
  });
}
