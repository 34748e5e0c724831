// Agents whose restart policy is ON_CHANGE are restarted by the vault itself: after a change that
// makes one need a restart, once the changes settle (none for `settleMs`), its connected runtime
// is told to restart, which fetches the current environment (and so clears the pending changes).
// An agent with no runtime connected stays restart-required until one connects.
import type { Sql } from "../../db/database.ts";
import type { PendingNotice, VaultEvents } from "../../events/events.ts";
import type { ActivityService } from "../activity/activity.service.ts";
import { systemActor } from "../activity/actor.ts";
import { onChangeAgent, onChangeAgentIds } from "./agent.dal.ts";

export const SETTLE_MS = 2_000;

export type AutoRestarts = ReturnType<typeof autoRestarts>;

export function autoRestarts(deps: {
  sql: Sql;
  events: VaultEvents;
  activity: ActivityService;
  settleMs?: number;
  onError?: (error: unknown) => void;
}) {
  const { sql, events, activity } = deps;
  const settleMs = deps.settleMs ?? SETTLE_MS;
  const onError = deps.onError ?? (() => {});
  const waiting = new Map<string, NodeJS.Timeout>();

  async function restart(userId: string, agentId: string) {
    waiting.delete(agentId);
    const agent = await onChangeAgent(sql, agentId);
    if (!agent) return;
    events.runtimeCommand(agentId, "restart", null, true);
    await activity.recordAlone(
      {
        userId,
        keySalt: agent.keySalt,
        address: null,
        actor: systemActor("automatic restart (ON_CHANGE)"),
      },
      { action: "AGENT_RESTARTED", agent: { id: agentId, name: agent.name }, details: { automatic: true } },
    );
  }

  return {
    /**
     * The notices of a change, each saying whether its agent restarts by itself; the restarts of
     * those agents are (re)scheduled to follow the last change of a burst.
     */
    async changed(userId: string, notices: readonly PendingNotice[]): Promise<PendingNotice[]> {
      const agentIds = [...new Set(notices.map((notice) => notice.agentId))];
      if (agentIds.length === 0) return [...notices];
      const automatic = await onChangeAgentIds(sql, agentIds);
      for (const agentId of automatic) {
        clearTimeout(waiting.get(agentId));
        waiting.set(
          agentId,
          setTimeout(() => void restart(userId, agentId).catch(onError), settleMs),
        );
      }
      return notices.map((notice) => ({ ...notice, automatic: automatic.has(notice.agentId) }));
    },

    stop() {
      for (const timer of waiting.values()) clearTimeout(timer);
      waiting.clear();
    },
  };
}

/** `events`, with restart-needed notices marked (and followed) by the agents' automatic restarts. */
export function withAutoRestarts(events: VaultEvents, restarts: AutoRestarts): VaultEvents {
  return {
    ...events,
    restartNeeded(userId, notices) {
      if (notices.length === 0) return;
      void restarts.changed(userId, notices).then(
        (marked) => events.restartNeeded(userId, marked),
        () => events.restartNeeded(userId, notices),
      );
    },
  };
}
