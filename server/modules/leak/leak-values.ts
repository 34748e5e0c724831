// The values the tripwire looks for: an agent's environment secrets, opened in this process's
// memory only, on the first brokered request of the agent, kept while it keeps making requests
// (forgotten after IDLE_MS without one) and never written, logged or sent anywhere.
import { type ValueMatcher, valueMatcher } from "@agent-vault/sdk/value-scan";
import type { KeyOwner } from "../../auth/viewer.ts";
import type { UserKeyring } from "../../crypto/user-keys.ts";
import type { Sql } from "../../db/database.ts";
import { ValueUnreadableError, valueOpener } from "../entry/entry-value.ts";
import { environmentRows } from "../runtime/runtime.dal.ts";

/** What to look for in an agent's requests: `secrets[i]` is the secret of the matcher's value i. */
export type Watched = { matcher: ValueMatcher; secrets: { id: string; name: string }[] };

/** The agent a request is of, and the environment it runs with (a new one is loaded again). */
export type WatchedAgent = KeyOwner & { agentId: string; runningEnv: string | null };

const IDLE_MS = 10 * 60_000;
const SWEEP_MS = 60_000;
/** At most this many agents' values at once (the least recently used go first). */
const HELD_AGENTS = 1_000;

type Held = {
  runningEnv: string | null;
  watched: Promise<Watched | null>;
  /** What `watched` resolved to, once it has: given at once from then on (no await per request). */
  loaded?: Watched | null;
  usedAt: number;
};

export function leakValues(deps: { sql: Sql; keyring: UserKeyring; idleMs?: number }) {
  const idleMs = deps.idleMs ?? IDLE_MS;
  const held = new Map<string, Held>();
  let sweeping: NodeJS.Timeout | null = null;

  const sweep = () => {
    const now = Date.now();
    for (const [agentId, entry] of held) if (now - entry.usedAt > idleMs) held.delete(agentId);
    if (held.size === 0 && sweeping) {
      clearInterval(sweeping);
      sweeping = null;
    }
  };

  async function load(agent: WatchedAgent): Promise<Watched | null> {
    const rows = await environmentRows(deps.sql, agent.agentId, agent.userId);
    const open = valueOpener(deps.keyring, agent);
    const values: string[] = [];
    const secrets: { id: string; name: string }[] = [];
    for (const row of rows) {
      if (row.kind !== "SECRET" || row.upstream) continue;
      try {
        values.push(open(row));
        secrets.push({ id: row.id, name: row.name });
      } catch (error) {
        // A value the vault cannot open was never delivered either.
        if (!(error instanceof ValueUnreadableError)) throw error;
      }
    }
    const matcher = valueMatcher(values);
    return matcher ? { matcher, secrets } : null;
  }

  return {
    /** The agent's values to look for (at once when loaded before), or null when none is long enough. */
    of(agent: WatchedAgent): Watched | null | Promise<Watched | null> {
      let entry = held.get(agent.agentId);
      if (entry) held.delete(agent.agentId);
      if (!entry || entry.runningEnv !== agent.runningEnv) {
        const watched = load(agent);
        const loading: Held = { runningEnv: agent.runningEnv, watched, usedAt: 0 };
        watched.then(
          (loaded) => {
            loading.loaded = loaded;
          },
          () => held.delete(agent.agentId),
        );
        entry = loading;
      }
      entry.usedAt = Date.now();
      held.set(agent.agentId, entry);
      if (held.size > HELD_AGENTS) held.delete(held.keys().next().value as string);
      sweeping ??= setInterval(sweep, Math.min(SWEEP_MS, idleMs)).unref();
      return entry.loaded !== undefined ? entry.loaded : entry.watched;
    },

    /** How many agents' values are held now. */
    get size() {
      sweep();
      return held.size;
    },

    close() {
      held.clear();
      if (sweeping) clearInterval(sweeping);
      sweeping = null;
    },
  };
}
