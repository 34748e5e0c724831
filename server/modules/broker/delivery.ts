// docs/architecture.md rule 10: how a secret reaches its agents (ENVIRONMENT: as its value;
// BROKERED: as a placeholder the broker swaps for the value on the way to its upstream), and who
// may change where a value goes.
import type { EntryKind } from "../../db/enums.ts";
import { ValidationError } from "../common/errors.ts";
import type { Provider } from "../provider/providers.ts";
import { providerUpstream, storedUpstream, type UpstreamInput, type UpstreamSettings } from "./upstream.ts";

export type Delivery = "ENVIRONMENT" | "BROKERED";
export type DeliveryInput = { delivery?: Delivery | null; upstream?: UpstreamInput | null };

export const deliveryOf = (entry: { upstream: string | null }): Delivery =>
  entry.upstream ? "BROKERED" : "ENVIRONMENT";

/** The upstream a new entry is stored with: null for one delivered in the environment. */
export function newUpstream(
  kind: EntryKind,
  input: DeliveryInput,
  settings: UpstreamSettings,
  provider: Provider | null = null,
): string | null {
  const delivery = input.delivery ?? (input.upstream ? "BROKERED" : "ENVIRONMENT");
  if (delivery === "ENVIRONMENT") {
    if (input.upstream) {
      throw new ValidationError("An upstream is only for a brokered secret (delivery BROKERED)", "upstream");
    }
    return null;
  }
  if (kind === "VARIABLE") {
    throw new ValidationError(
      "A variable is always delivered in the environment; only a secret is brokered",
      "delivery",
    );
  }
  if (input.upstream) return storedUpstream(input.upstream, settings);
  if (provider) return providerUpstream(provider);
  throw new ValidationError(
    "A brokered secret needs an upstream: the URL its value may be sent to (e.g. https://api.example.com/v1)",
    "upstream.baseUrl",
  );
}

/**
 * The upstream after an update. Whoever changes where a value goes (to another upstream, into the
 * broker or out of it) gives the value in the same call: a ValidationError on `value` otherwise.
 */
export function nextUpstream(
  current: { kind: EntryKind; upstream: string | null },
  input: DeliveryInput & { value?: string | null },
  settings: UpstreamSettings,
  provider: Provider | null = null,
): string | null {
  const delivery = input.delivery ?? (input.upstream ? "BROKERED" : current.upstream ? "BROKERED" : "ENVIRONMENT");
  let next: string | null;
  if (delivery === "BROKERED" && !input.upstream && current.upstream) next = current.upstream;
  else next = newUpstream(current.kind, { delivery, upstream: input.upstream }, settings, provider);
  if (next !== current.upstream && (input.value === undefined || input.value === null)) {
    throw new ValidationError(
      "Changing where a secret's value goes (its upstream or its delivery) needs the value in the same call",
      "value",
    );
  }
  return next;
}
