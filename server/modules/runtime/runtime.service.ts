// Runtime tokens and the runtime channel: the one place where values leave the vault decrypted,
// and only to the holder of that agent's runtime token.

import { streamGuard, type TokenCheck } from "../../auth/stream-checks.ts";
import type { RuntimeViewer, Viewer } from "../../auth/viewer.ts";
import type { OpeningThread } from "../../crypto/opening-thread.ts";
import type { RowBinder } from "../../crypto/row-binding.ts";
import { KEYED_HASH_SCHEME, type TokenHasher } from "../../crypto/token-hash.ts";
import { generateToken, placeholderFrom } from "../../crypto/tokens.ts";
import type { UserKeyring } from "../../crypto/user-keys.ts";
import type { Sql } from "../../db/database.ts";
import { newId } from "../../db/ids.ts";
import type { UnitsOfWork } from "../../db/unit-of-work.ts";
import type { RuntimeCommand, VaultEvents } from "../../events/events.ts";
import { type ActivityService, doerOf } from "../activity/activity.service.ts";
import { requireAgent } from "../agent/agent.lookup.ts";
import { runningEnvOf } from "../agent/restart-state.ts";
import { type PlaceholderRow, savePlaceholders } from "../broker/broker.dal.ts";
import { resolveUpstream, type UpstreamSettings } from "../broker/upstream.ts";
import { NotFoundError } from "../common/errors.ts";
import { compareNames, nameProblem } from "../entry/entry.rules.ts";
import { ValueUnreadableError, valuesOpener } from "../entry/entry-value.ts";
import {
  createRuntimeToken,
  deleteRuntimeTokenRow,
  type EnvironmentRow,
  runtimeTokenOf,
  setRunningEnvironment,
} from "./runtime.dal.ts";

export type RuntimeService = ReturnType<typeof runtimeService>;

export function runtimeService(deps: {
  sql: Sql;
  keyring: UserKeyring;
  events: VaultEvents;
  hasher: TokenHasher;
  binder: RowBinder;
  /** Whether a runtime token still exists (it goes with its agent). */
  tokenValid: TokenCheck;
  recheckMs?: number;
  uow: UnitsOfWork;
  activity: ActivityService;
  upstreams: UpstreamSettings;
  /** Where agents reach the broker (AGENT_VAULT_PUBLIC_URL); otherwise where they reached the vault. */
  publicUrl?: string;
  /** Where an environment's values are opened; inline without it. */
  opening?: OpeningThread;
}) {
  const { sql, keyring, events, hasher, binder, uow, activity } = deps;
  const guard = streamGuard(deps.tokenValid, deps.recheckMs);
  return {
    async createToken(viewer: Viewer, input: { agentId: string }) {
      const token = generateToken("runtime");
      const id = newId();
      const runtimeToken = await uow.run(async ({ db: tx, ...work }) => {
        const agent = await requireAgent(tx, viewer.userId, input.agentId);
        const created = await createRuntimeToken(tx, {
          id,
          agentId: agent.id,
          tokenHash: hasher.hash(token),
          hashKeyVersion: KEYED_HASH_SCHEME,
          binding: binder.runtimeToken(id, agent.id),
        });
        await activity.record(work, doerOf(viewer), {
          action: "RUNTIME_TOKEN_CREATED",
          agent,
          details: { tokenId: id },
        });
        return created;
      });
      return { token, runtimeToken };
    },

    /** Deletes one of the viewer's agents' runtime tokens; its open command streams end at once, on every instance. */
    async revokeToken(viewer: Viewer, input: { id: string }): Promise<string> {
      const revoked = await uow.run(async ({ db: tx, ...work }) => {
        const token = await runtimeTokenOf(tx, viewer.userId, input.id);
        if (!token) throw new NotFoundError("runtime token", input.id);
        await deleteRuntimeTokenRow(tx, token.id);
        await activity.record(work, doerOf(viewer), {
          action: "RUNTIME_TOKEN_REVOKED",
          agent: token.agent,
          details: { tokenId: token.id },
        });
        return token;
      });
      events.runtimeEnded(revoked.agent.id, revoked.id);
      return revoked.id;
    },

    /**
     * The agent's environment now, decrypted. Fetching it records that the agent started with it:
     * its restartRequired clears.
     */
    /** `entries`: the agent's environment rows, read with its runtime token (authenticate.ts). */
    async startEnvironment(runtime: RuntimeViewer, entries: EnvironmentRow[], reachedAt: string) {
      const agent = runtime.agent;
      // What the API would never have written: an attachment it did not make, or a name it refuses
      // (a row changed in the database). Nothing is delivered then.
      for (const entry of entries) {
        if (!binder.verifyAttachment(agent.id, entry.id, entry.binding)) {
          throw new ValueUnreadableError(entry.name, null, "its attachment to this agent was not made by the vault");
        }
        if (nameProblem(entry.name) !== null) {
          throw new ValueUnreadableError(
            entry.name,
            null,
            "the vault refuses that name (it was changed in the database)",
          );
        }
      }
      // Sorted once: the environment and the record of it are both by name.
      entries.sort((a, b) => compareNames(a.name, b.name));
      // No prototype: an entry named __proto__ is an entry like any other.
      const environment: Record<string, string> = Object.create(null);
      const delivered = entries.filter((entry) => !entry.upstream);
      const values = await valuesOpener(keyring, runtime, deps.opening)(delivered);
      const placeholders: PlaceholderRow[] = [];
      // The secrets the agent holds as they are: what `agent-vault run` conceals in its output.
      const concealed: string[] = [];
      const brokerBase = `${(deps.publicUrl ?? reachedAt).replace(/\/+$/, "")}/broker/`;
      let next = 0;
      for (const entry of entries) {
        if (!entry.upstream) {
          environment[entry.name] = values[next++] as string;
          if (entry.kind === "SECRET") concealed.push(entry.name);
          continue;
        }
        // Brokered: a placeholder, and where the broker takes it (the value never leaves).
        const placeholder = placeholderFrom(binder.placeholderDigest(runtime.tokenId, entry.id));
        const tokenHash = hasher.hash(placeholder);
        const row = { tokenHash, runtimeTokenId: runtime.tokenId, agentId: agent.id, entryId: entry.id };
        placeholders.push({ ...row, binding: binder.placeholder(tokenHash, row.runtimeTokenId, agent.id, entry.id) });
        environment[entry.name] = placeholder;
        const { baseUrlVariable } = resolveUpstream(entry.upstream, deps.upstreams);
        if (baseUrlVariable) environment[baseUrlVariable] = `${brokerBase}${entry.id}`;
      }
      if (placeholders.length > 0) await savePlaceholders(sql, placeholders);
      // Only once every value opened: the agent now runs with this environment, started now. In
      // the steady state it already does, and the fetch writes nothing.
      let startedAt = agent.lastRestartedAt;
      const running = runningEnvOf(entries);
      if (running !== agent.runningEnv) {
        startedAt = new Date();
        await setRunningEnvironment(sql, agent.id, running, startedAt);
      }
      await activity.fetched(runtime, entries.length);
      return {
        agent: { id: agent.id, name: agent.name },
        startedAt: startedAt?.toISOString() ?? null,
        environment,
        concealed,
      };
    },

    /**
     * Restart commands for the agent, as they are issued, for as long as its runtime token exists
     * (re-checked before each command and every `recheckMs`): the stream ends with its agent.
     */
    commands(runtime: RuntimeViewer): AsyncIterableIterator<RuntimeCommand> {
      const source = events.runtimeCommands(runtime.agent.id);
      let ended = false;
      const unwatch = guard.watch(runtime.tokenId, () => void source.return?.());
      const end = async (): Promise<IteratorResult<RuntimeCommand>> => {
        ended = true;
        unwatch();
        await source.return?.();
        return { done: true, value: undefined };
      };
      return {
        [Symbol.asyncIterator]() {
          return this;
        },
        async next(): Promise<IteratorResult<RuntimeCommand>> {
          if (ended) return { done: true, value: undefined };
          const next = await source.next();
          if (next.done) return end();
          const event = next.value;
          // The token was revoked, or its agent deleted: the stream ends now, not at the next check.
          if (event.type === "ended") {
            if (event.tokenId === null || event.tokenId === runtime.tokenId) return end();
            return this.next();
          }
          if (!(await guard.beforeEvent(event, runtime.tokenId))) return end();
          return { done: false, value: event };
        },
        return: end,
      };
    },
  };
}
