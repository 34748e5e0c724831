// Runtime tokens and the runtime channel: the one place where values leave the vault decrypted,
// and only to the holder of that agent's runtime token.
import type { RuntimeViewer, Viewer } from "../../auth/viewer.ts";
import { generateToken, hashToken } from "../../crypto/tokens.ts";
import type { UserKeyring } from "../../crypto/user-keys.ts";
import type { Db, RawSql } from "../../db/database.ts";
import type { VaultEvents } from "../../events/events.ts";
import { requireAgent } from "../agent/agent.lookup.ts";
import { runningEnvOf } from "../agent/restart-state.ts";
import { compareNames } from "../entry/entry.rules.ts";
import { valueOpener } from "../entry/entry-value.ts";

export type RuntimeService = ReturnType<typeof runtimeService>;

// The runtime channel's read, on every agent start: plain SQL, one statement, by the agent's
// attachments (an index), not Prisma's query compiler.
const ENVIRONMENT_SQL = `SELECT e."id" AS "id", e."name" AS "name", e."version" AS "version", e."ciphertext" AS "ciphertext"
  FROM "Attachment" t JOIN "Entry" e ON e."id" = t."entryId" WHERE t."agentId" = ?`;

type EnvironmentRow = { id: string; name: string; version: number; ciphertext: Uint8Array };

export function runtimeService(deps: { db: Db; raw: RawSql; keyring: UserKeyring; events: VaultEvents }) {
  const { db, raw, keyring, events } = deps;
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
      const entries = (await raw(ENVIRONMENT_SQL, [agent.id])).map(
        (row): EnvironmentRow => ({
          id: String(row.id),
          name: String(row.name),
          version: Number(row.version),
          ciphertext: row.ciphertext as Uint8Array,
        }),
      );
      // Sorted once: the environment and the record of it are both by name.
      entries.sort((a, b) => compareNames(a.name, b.name));
      // Record the environment the agent now runs with; in the steady state it already is, and the
      // fetch writes nothing.
      const running = runningEnvOf(entries);
      if (running !== agent.runningEnv) {
        await db.agent.update({ where: { id: agent.id }, data: { runningEnv: running } });
      }
      const environment: Record<string, string> = {};
      const open = valueOpener(keyring, runtime);
      for (const entry of entries) environment[entry.name] = open(entry);
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
