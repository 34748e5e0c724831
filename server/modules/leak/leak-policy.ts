// What the broker does with a request that carries the value of one of its agent's environment
// secrets (AGENT_VAULT_LEAK_POLICY): refuse it, forward it with the value replaced, forward it and
// record it, or look for nothing.
export const LEAK_POLICIES = ["block", "redact", "record", "off"] as const;
export type LeakPolicy = (typeof LEAK_POLICIES)[number];

export class LeakPolicyError extends Error {
  override name = "LeakPolicyError";
  constructor() {
    super(`AGENT_VAULT_LEAK_POLICY must be one of ${LEAK_POLICIES.join(", ")}`);
  }
}

/** The operator's policy; `block` unless set. */
export function leakPolicy(env: Record<string, string | undefined> = process.env): LeakPolicy {
  const given = env.AGENT_VAULT_LEAK_POLICY?.trim().toLowerCase();
  if (!given) return "block";
  if (!(LEAK_POLICIES as readonly string[]).includes(given)) {
    throw new LeakPolicyError();
  }
  return given as LeakPolicy;
}
