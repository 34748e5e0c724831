// Runtime tokens and the runtime channel: the one place where values leave the vault decrypted,
// and only to the holder of that agent's runtime token.

import type { Context, Services } from "../../context.ts";
import { generateToken, hashToken, tokenKind } from "../../crypto/tokens.ts";
import { requireAgents } from "../agent/agent.service.ts";
import { runningEnvOf } from "../agent/restart-state.ts";
import { compareNames } from "../entry/entry.rules.ts";
import { openNamedValue } from "../entry/entry-value.ts";

export type Runtime = {
  agentId: string;
  tokenId: string;
  userId: string;
  keySalt: Uint8Array;
  /** The agent as authentication read it: the runtime path reads it once. */
  agent: { id: string; name: string; runningEnv: string; lastRestartedAt: Date | null };
};

export async function createRuntimeToken(ctx: Context, input: { agentId: string }) {
  const [agent] = await requireAgents(ctx.db, ctx.viewer.userId, [input.agentId]);
  const token = generateToken("runtime");
  const runtimeToken = await ctx.db.runtimeToken.create({
    data: { agentId: (agent as { id: string }).id, tokenHash: hashToken(token) },
  });
  return { token, runtimeToken };
}

/** The runtime a token stands for, or null: API tokens and anything else are refused. */
export async function authenticateRuntime(services: Services, token: string | null): Promise<Runtime | null> {
  if (!token || tokenKind(token) !== "runtime") return null;
  const row = await services.db.runtimeToken.findUnique({
    where: { tokenHash: hashToken(token) },
    select: {
      id: true,
      agent: {
        select: {
          id: true,
          name: true,
          runningEnv: true,
          lastRestartedAt: true,
          userId: true,
          user: { select: { keySalt: true } },
        },
      },
    },
  });
  if (!row) return null;
  const { user, userId, ...agent } = row.agent;
  return { agentId: agent.id, tokenId: row.id, userId, keySalt: user.keySalt, agent };
}

/**
 * The agent's environment now, decrypted. Fetching it records that the agent started with it:
 * its restartRequired clears.
 */
export async function startEnvironment(services: Services, runtime: Runtime) {
  const agent = runtime.agent;
  const entries = await services.db.entry.findMany({
    where: { attachments: { some: { agentId: runtime.agentId } } },
    select: { id: true, name: true, version: true, ciphertext: true },
  });
  // Record the environment the agent now runs with; in the steady state it already is, and the
  // fetch writes nothing.
  const running = runningEnvOf(entries);
  if (running !== agent.runningEnv) {
    await services.db.agent.update({ where: { id: agent.id }, data: { runningEnv: running } });
  }
  const viewer = { keyring: services.keyring, viewer: { userId: runtime.userId, keySalt: runtime.keySalt } };
  const environment: Record<string, string> = {};
  for (const entry of entries.sort((a, b) => compareNames(a.name, b.name))) {
    environment[entry.name] = openNamedValue(viewer, entry);
  }
  return {
    agent: { id: agent.id, name: agent.name },
    startedAt: agent.lastRestartedAt?.toISOString() ?? null,
    environment,
  };
}
