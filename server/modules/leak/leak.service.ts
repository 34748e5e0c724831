// The leak tripwire at the broker: the operator's policy, the values each agent's requests are
// searched for (leak-values.ts), and what a find leaves behind: an activity event per secret,
// heard live by subscribers. Never the value: only the secret's name, the agent and the host.
import type { UserKeyring } from "../../crypto/user-keys.ts";
import type { Sql } from "../../db/database.ts";
import type { FeedSubscription } from "../../events/feeds.ts";
import type { ActivityAction, ActivityService, Doer } from "../activity/activity.service.ts";
import type { LeakPolicy } from "./leak-policy.ts";
import { leakValues, type Watched, type WatchedAgent } from "./leak-values.ts";

export type LeakService = ReturnType<typeof leakService>;

export const LEAK_ACTIONS = {
  block: "SECRET_LEAK_BLOCKED",
  redact: "SECRET_LEAK_REDACTED",
  record: "SECRET_LEAK_SEEN",
} as const satisfies Record<Exclude<LeakPolicy, "off">, ActivityAction>;

const LEAK_ACTION_SET = new Set<string>(Object.values(LEAK_ACTIONS));

/** A request found carrying values: whose, which secrets, and where it was going. */
export type LeakFound = {
  doer: Doer;
  agent: { id: string; name: string };
  secrets: { id: string; name: string }[];
  /** The brokered secret the request went through. */
  through: { id: string; name: string };
  upstreamHost: string;
  method: string;
  /** The path, without its query. */
  path: string;
};

export function leakService(deps: {
  sql: Sql;
  keyring: UserKeyring;
  activity: ActivityService;
  policy: LeakPolicy;
  /** How long an agent's values are held after its last brokered request (default 10 minutes). */
  idleMs?: number;
}) {
  const values = leakValues(deps);
  return {
    policy: deps.policy,

    /** What to look for in this agent's requests, or null (nothing to, or the tripwire is off). */
    watchOf: (agent: WatchedAgent): Watched | null | Promise<Watched | null> =>
      deps.policy === "off" ? null : values.of(agent),

    /** How many agents' values this process holds now. */
    heldAgents: () => values.size,

    /** Records what was found, one event per secret, as the policy has dealt with it. */
    async found(leak: LeakFound, policy: Exclude<LeakPolicy, "off">): Promise<void> {
      for (const secret of leak.secrets) {
        await deps.activity.recordAlone(leak.doer, {
          action: LEAK_ACTIONS[policy],
          agent: leak.agent,
          entry: secret,
          details: {
            upstreamHost: leak.upstreamHost,
            method: leak.method,
            path: leak.path,
            through: leak.through.name,
          },
        });
      }
    },

    /** Leaks found in the viewer's agents' requests (of one agent, or all), as they are recorded. */
    notices: (agentId: string | null): FeedSubscription<"activity"> => ({
      feed: "activity",
      accept: (event) => LEAK_ACTION_SET.has(event.action) && (agentId === null || event.agentId === agentId),
    }),

    close: () => values.close(),
  };
}
