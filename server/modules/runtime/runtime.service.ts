// Runtime tokens and the runtime channel: the one place where values leave the vault decrypted,
// and only to the holder of that agent's runtime token.
import type { RuntimeViewer, Viewer } from "../../auth/viewer.ts";
import { generateToken, hashToken } from "../../crypto/tokens.ts";
import type { UserKeyring } from "../../crypto/user-keys.ts";
import type { Db } from "../../db/database.ts";
import type { VaultEvents } from "../../events/events.ts";
import { requireAgent } from "../agent/agent.lookup.ts";
import { runningEnvOf } from "../agent/restart-state.ts";
import { compareNames } from "../entry/entry.rules.ts";
import { openNamedValue } from "../entry/entry-value.ts";

export type RuntimeService = ReturnType<typeof runtimeService>;

export function runtimeService(deps: { db: Db; keyring: UserKeyring; events: VaultEvents }) {
  const { db, keyring, events } = deps;
  return {
    async createToken(viewer: Viewer, input: { agentId: string }) {
      const agent = await requireAgent(db, viewer.userId, input.agentId);
      const token = generateToken("runtime");
      const runtimeToken = await db.runtimeToken.create({ data: { agentId: agent.id, tokenHash: hashToken(token) } });
      return { token, runtimeToken };
    },

    /**
     * The agent's environment now, decrypted. Fetching it records that the agent started with it:
     * its restartRequired clears.
     */
    async startEnvironment(runtime: RuntimeViewer) {
      const agent = runtime.agent;
      const entries = await db.entry.findMany({
        where: { attachments: { some: { agentId: agent.id } } },
        select: { id: true, name: true, version: true, ciphertext: true },
      });
      // Record the environment the agent now runs with; in the steady state it already is, and the
      // fetch writes nothing.
      const running = runningEnvOf(entries);
      if (running !== agent.runningEnv) {
        await db.agent.update({ where: { id: agent.id }, data: { runningEnv: running } });
      }
      const environment: Record<string, string> = {};
      for (const entry of entries.sort((a, b) => compareNames(a.name, b.name))) {
        environment[entry.name] = openNamedValue(keyring, runtime, entry);
      }
      return {
        agent: { id: agent.id, name: agent.name },
        startedAt: agent.lastRestartedAt?.toISOString() ?? null,
        environment,
      };
    },

    /** Restart commands for the agent, as they are issued. */
    commands(runtime: RuntimeViewer) {
      return events.runtimeCommands(runtime.agent.id);
    },
  };
}
