// A vault in process on a fresh SQLite file, and a small GraphQL-over-HTTP client for it.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type AppOptions, loggerFor, openVaultApp } from "../../server/app.ts";
import { parseMasterKeys } from "../../server/crypto/master-key.ts";
import type { Db } from "../../server/db/database.ts";
import { UNHEARD_WRITE, type VaultConfig } from "../../server/vault.ts";
import { databaseBytes, freshDatabase, heardByEveryInstance, writerClient } from "./database.ts";

/** A response as it came over HTTP; `data` has the shape the caller names (unknown until it does). */
export type GraphQLResponse<TData = unknown> = {
  status: number;
  data?: TData | null;
  errors?: { message: string; extensions?: Record<string, unknown>; path?: unknown[] }[];
  text: string;
};

/** Sends one GraphQL document over HTTP as a client would; typed reads go through operations.ts. */
export type Gql = <TData = unknown>(query: string, variables?: unknown) => Promise<GraphQLResponse<TData>>;

export function newMasterKey(): string {
  return randomBytes(32).toString("base64");
}

export async function startTestVault(options: Partial<VaultConfig & AppOptions> & { dir?: string } = {}) {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), "agent-vault-test-"));
  const database = await freshDatabase(dir);
  // A write that went around the database layer's transactions fails the test at close().
  const logger = loggerFor(options.logging);
  const unheardWrites: string[] = [];
  const config = {
    databaseUrl: database.url,
    masterKeys: parseMasterKeys(newMasterKey(), "AGENT_VAULT_MASTER_KEY"),
    masterKeySource: "AGENT_VAULT_MASTER_KEY",
    ...options,
    logging: {
      ...logger,
      warn: (...args: unknown[]) => {
        if (String(args[0]).startsWith(UNHEARD_WRITE)) unheardWrites.push(String(args[0]));
        logger.warn(...args);
      },
    },
  };
  let vault = await openVaultApp(config);
  let writer: Awaited<ReturnType<typeof writerClient>> | null = null;

  async function http<TData = unknown>(
    body: string,
    headers: Record<string, string> = {},
  ): Promise<GraphQLResponse<TData>> {
    const response = await vault.yoga.fetch("http://vault.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...headers },
      body,
    });
    const text = await response.text();
    return { status: response.status, text, ...JSON.parse(text) };
  }

  function client(token: string | null): Gql {
    return <TData>(query: string, variables?: unknown) =>
      http<TData>(JSON.stringify({ query, variables }), token ? { authorization: `Bearer ${token}` } : {});
  }

  /** A user, created the way `agent-vault user create` does, with a client using its token. */
  async function newUser(name = "user") {
    const { user, token } = await vault.services.users.create(name);
    return { id: user.id, token, gql: client(token) };
  }

  return {
    /** The open vault (a new one after restart()). */
    get vault() {
      return vault;
    },
    /** Stops the vault as a shutdown does and opens it again on the same database and keys. */
    async restart() {
      await vault.close();
      vault = await openVaultApp(config);
    },
    dir,
    databaseUrl: database.url,
    /** Everything the database holds, as bytes (SQLite files, or a PostgreSQL dump). */
    databaseBytes: () => databaseBytes(database.url),
    http,
    client,
    newUser,
    /**
     * A write by someone who can write the vault's database: Prisma's client on a connection of
     * its own (the vault hears it as another's change), returning once every running instance
     * has heard it.
     */
    async asWriter<T>(write: (db: Db) => Promise<T>): Promise<T> {
      // SQLite: one process, which keeps nothing it would need to hear of; the vault's own
      // client (after a restart, the new vault's).
      if (database.url.startsWith("file:")) return write(vault.db);
      writer ??= await writerClient(database.url);
      const result = await write(writer.db);
      await heardByEveryInstance(database.url);
      return result;
    },
    async close() {
      await writer?.close();
      await vault.close();
      await database.drop();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
      if (unheardWrites.length > 0) throw new Error(unheardWrites.join("\n"));
    },
  };
}

export type TestVault = Awaited<ReturnType<typeof startTestVault>>;

/** A unique value that no test data contains by accident. */
export function marker(label = "MARKER"): string {
  return `${label}_${randomBytes(12).toString("hex")}`;
}
