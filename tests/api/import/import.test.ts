// Rule 8: importing a .env file, all or nothing. Valid files must yield exactly what dotenv's
// parser yields; broken ones are refused line by line with nothing written.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import {
  createRuntimeClient,
  createVaultClient,
  EnvParseError,
  LimitExceededError,
  NameTakenError,
  ValidationError,
  type VaultClient,
} from "@agent-vault/sdk";
import { parse as dotenvParse } from "dotenv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openVaultApp } from "../../../server/app.ts";
import { parseMasterKeys } from "../../../server/crypto/master-key.ts";
import { directSql, testDatabase } from "../../helpers/database.ts";
import { newMasterKey, startTestVault, type TestVault } from "../../helpers/test-vault.ts";

let t: TestVault;

async function newVault(): Promise<VaultClient> {
  const { token } = await t.newUser("importer");
  return createVaultClient({ url: "http://vault.test/graphql", token, fetch: t.vault.yoga.fetch as typeof fetch });
}

/** Every entry's name and value (variables only: secrets cannot be read). */
async function contents(vault: VaultClient): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let after: string | null = null;
  for (;;) {
    const page = await vault.entries({ first: 100, after });
    for (const { node } of page.edges) out[node.name] = node.__typename === "Variable" ? node.value : "<secret>";
    if (!page.pageInfo.hasNextPage) return out;
    after = page.pageInfo.endCursor ?? null;
  }
}

/** Every entry of the vault, attached to a new agent `name`, and that agent's environment as it starts. */
async function environmentOfAll(vault: VaultClient, name: string) {
  const entries = [];
  for await (const entry of vault.allEntries()) entries.push(entry);
  const agent = await vault.createAgent({ name, entryIds: entries.map((entry) => entry.id) });
  const { token } = await vault.createRuntimeToken({ agentId: agent.id });
  const runtime = createRuntimeClient({
    url: "http://vault.test/graphql",
    token,
    fetch: t.vault.yoga.fetch as typeof fetch,
  });
  return { entries, environment: (await runtime.environment()).environment };
}

beforeAll(async () => {
  t = await startTestVault();
});
afterAll(() => t.close());

const VALID: Record<string, string> = {
  "export prefixes": "export A=1\nexport   B=two\nC=3\n",
  "single, double and backtick quotes": `S='single # not a comment'\nD="double"\nB=\`back tick\`\n`,
  "multi-line quoted values": "KEY=\"-----BEGIN KEY-----\nline two\n-----END KEY-----\"\nAFTER=yes\nSQ='a\nb'\n",
  "escapes in double quotes": 'N="one\\ntwo"\nR="cr\\rhere"\nS=\'no\\nescape\'\n',
  comments: "# a comment\nA=1 # trailing\n  # indented comment\nB=2#glued\nC='quoted' # after quote\n",
  "empty values": "EMPTY=\nEMPTY_QUOTED=''\nEMPTY_DOUBLE=\"\"\n",
  "spaces around =": "A = 1\nB=   spaced   \nC  =  'x'\n",
  "byte-order mark": "\uFEFFFIRST=1\nSECOND=2\n",
  "CRLF endings": 'A=1\r\nB="multi\r\nline"\r\nC=3\r\n',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's text, kept literally on purpose
  "references kept literally": "BASE=/srv\nPATHISH=${BASE}/bin\nDOLLAR=$HOME\n",
  "unicode values": 'GREETING=héllo wörld ✓\nEMOJI="🔑"\n',
  "equals in values": "URL=postgres://u:p@h/db?a=b&c=d\nB64=YWJj==\n",
  "blank lines and no final newline": "\n\nA=1\n\n\nB=2",
};

describe("valid files", () => {
  it.each(Object.entries(VALID))("imports %s exactly as dotenv parses it", async (_label, content) => {
    const vault = await newVault();
    const expected = dotenvParse(content);
    const report = await vault.importEnv({ content, kind: "VARIABLE" });
    expect(report.applied).toBe(true);
    expect([...report.created].sort()).toEqual(Object.keys(expected).sort());
    expect(await contents(vault)).toEqual(expected);
  });

  it("imports 10,000 lines", async () => {
    const vault = await newVault();
    const content = Array.from({ length: 10_000 }, (_, i) => `KEY_${i}=value-${i}`).join("\n");
    const report = await vault.importEnv({ content, kind: "SECRET" });
    expect(report.created).toHaveLength(10_000);
    expect((await vault.entries({ first: 1 })).totalCount).toBe(10_000);
  });

  it("seals a large import's values as it seals one: each opens, and keeps its fingerprint sealed again", async () => {
    const vault = await newVault();
    // 300 lines: sealed on the sealing thread (an import of under 200 is sealed inline).
    const values = Array.from(
      { length: 300 },
      (_, i) => `v${i}-${randomBytes(12).toString("base64url")}${i % 7 === 0 ? "-ü ✓ 🔑" : ""}`,
    );
    const file = (of: string[]) => of.map((value, i) => `BATCH_${i}="${value}"`).join("\n");
    await vault.importEnv({ content: file(values), kind: "SECRET" });
    // Overwritten by a second import: its updates are sealed the same way.
    const updated = values.map((value) => `${value}-2`);
    await vault.importEnv({ content: file(updated), kind: "SECRET", onConflict: "OVERWRITE" });
    const { entries, environment } = await environmentOfAll(vault, "batch");
    expect(entries).toHaveLength(300);
    expect(environment).toEqual(Object.fromEntries(updated.map((value, i) => [`BATCH_${i}`, value])));
    // Sealed again one at a time (inline), the same value gives the same fingerprint; another does not.
    for (const entry of entries.filter((_, i) => i % 30 === 0)) {
      const value = updated[Number(entry.name.slice("BATCH_".length))] as string;
      expect((await vault.updateSecret({ id: entry.id, value })).fingerprint).toBe(entry.fingerprint);
      expect((await vault.updateSecret({ id: entry.id, value: `${value}!` })).fingerprint).not.toBe(entry.fingerprint);
    }
  });

  it("removes at start what an import that died left staged (on PostgreSQL, once older than any import takes)", async () => {
    const masterKeys = parseMasterKeys(newMasterKey(), "AGENT_VAULT_MASTER_KEY");
    const other = await startTestVault({ masterKeys });
    const sql = await directSql(other.databaseUrl);
    try {
      const { id: userId } = await other.newUser("died");
      const stage = (importId: string, at: Date) =>
        sql.run(
          `INSERT INTO "ImportStage" ("id", "importId", "userId", "name", "nameKey", "kind", "version", "ciphertext",
            "valueSize", "fingerprint", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, 'VARIABLE', 1, ?, 1, 'f', ?, ?)`,
          [
            `${importId}-row`,
            importId,
            userId,
            importId,
            importId.toUpperCase(),
            Buffer.from("x"),
            ...(testDatabase === "sqlite" ? [at.toISOString(), at.toISOString()] : [at, at]),
          ],
        );
      await stage("old", new Date(Date.now() - 2 * 3_600_000));
      await stage("recent", new Date());
      const reopened = await openVaultApp({ databaseUrl: other.databaseUrl, masterKeys, masterKeySource: "test" });
      await reopened.close();
      const left = await sql.run('SELECT "importId" FROM "ImportStage"');
      expect(left.map((row) => row.importId)).toEqual(testDatabase === "sqlite" ? [] : ["recent"]);
    } finally {
      await sql.close();
      await other.close();
    }
  });

  it.each([
    ["cannot start", { start: () => new Worker("process.exit(3)", { eval: true }) }],
    ["does not answer in time", { answerWithinMs: 1 }],
  ])("imports whole, sealing inline, when the sealing thread %s, and says so in the log", async (_label, sealing) => {
    const warnings: string[] = [];
    const log = (...args: unknown[]) => warnings.push(args.join(" "));
    const logging = { debug: () => {}, info: () => {}, warn: log, error: log };
    const other = await startTestVault({ sealingThread: sealing, logging });
    try {
      const { token } = await other.newUser("inline");
      const vault = createVaultClient({
        url: "http://vault.test/graphql",
        token,
        fetch: other.vault.yoga.fetch as typeof fetch,
      });
      const values = Array.from({ length: 2_500 }, (_, i) => `inline-${i}-${randomBytes(6).toString("hex")}`);
      const report = await vault.importEnv({
        content: values.map((value, i) => `INLINE_${i}=${value}`).join("\n"),
        kind: "VARIABLE",
      });
      expect(report.created).toHaveLength(2_500);
      expect(await contents(vault)).toEqual(Object.fromEntries(values.map((value, i) => [`INLINE_${i}`, value])));
      expect(warnings.join("\n")).toMatch(
        /sealed on the event loop instead: the sealing thread (stopped|did not answer)/,
      );
    } finally {
      await other.close();
    }
  });

  it.runIf(process.platform === "linux")(
    "seals a large import on a thread that gives way to the event loop",
    async () => {
      const vault = await newVault();
      const content = Array.from({ length: 250 }, (_, i) => `NICE_${i}=value-${i}`).join("\n");
      await vault.importEnv({ content, kind: "SECRET" });
      // The vault runs in this process: one of its threads is the sealing thread, at nice 19.
      const niceValues = readdirSync("/proc/self/task").map((task) => {
        const stat = readFileSync(`/proc/self/task/${task}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
      });
      expect(niceValues).toContain(19);
    },
  );

  it("stages a large import in short transactions, and leaves nothing of it when it fails at the end", async () => {
    const vault = await newVault();
    const held = [];
    for (let i = 0; i < 17; i++) held.push(await vault.addVariable({ name: `HELD_${i}`, value: "small" }));
    await vault.createAgent({ name: "holder", entryIds: held.map((entry) => entry.id) });
    const fresh = Array.from({ length: 20_000 }, (_, i) => `STAGED_${i}=value-${i}`);
    // Staged and moved in, then the agent's environment would pass 1 MiB: the whole import goes.
    const tooBig = held.map((entry) => `${entry.name}=${"x".repeat(64 * 1024 - 16)}`);
    const error = await vault
      .importEnv({ content: [...fresh, ...tooBig].join("\n"), kind: "VARIABLE", onConflict: "OVERWRITE" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(LimitExceededError);
    expect((await vault.entries({ first: 1 })).totalCount).toBe(17);
    expect(await t.vault.db.importStage.count()).toBe(0);

    const report = await vault.importEnv({ content: fresh.join("\n"), kind: "VARIABLE" });
    expect(report.created).toHaveLength(20_000);
    expect((await vault.entryByName({ name: "STAGED_19999" }))?.__typename).toBe("Variable");
    expect((await vault.entries({ first: 1 })).totalCount).toBe(20_017);
    expect(await t.vault.db.importStage.count()).toBe(0);
  });
});

const BROKEN: Record<string, [content: string, lines: number[]]> = {
  "an unterminated quote": ['A=1\nB="never closed\nC=3\n', [2]],
  "a line without =": ["A=1\njust some words\nC=3\n", [2]],
  "text after a closing quote": ['A="x" y\n', [1]],
  "names that break the rules": [
    "1BAD=x\nGOOD=1\nPATH=/bin\nLD_PRELOAD=x\nAGENT_VAULT_X=1\nmy-key=1\n",
    [1, 3, 4, 5, 6],
  ],
  "duplicate names, regardless of case": ["A=1\nB=2\na=3\n", [3]],
  "a value over 64 KiB": [`A=1\nBIG=${"x".repeat(64 * 1024 + 1)}\n`, [2]],
  "a 1 MB line": [`HUGE=${"y".repeat(1024 * 1024)}\n`, [1]],
  "binary garbage": ["\u0000\u0001\u0002\u00ff=\u0000\n\u0007\u0008garbage\n", [1, 2]],
  "UTF-16 text": [Buffer.from("A=1\nB=2\n", "utf16le").toString("latin1"), [1, 2, 3]],
  "an empty secret": ["A=\n", [1]],
};

describe("broken files", () => {
  it.each(Object.entries(BROKEN))(
    "refuses %s with line numbers, and writes nothing",
    async (_label, [content, lines]) => {
      const vault = await newVault();
      await vault.addVariable({ name: "EXISTING", value: "kept" });
      const error = await vault.importEnv({ content, kind: "SECRET", onConflict: "OVERWRITE" }).catch((e) => e);
      expect(error).toBeInstanceOf(EnvParseError);
      expect((error as EnvParseError).lines.map((problem) => problem.line)).toEqual(lines);
      for (const problem of (error as EnvParseError).lines) expect(problem.message.length).toBeGreaterThan(5);
      expect(await contents(vault)).toEqual({ EXISTING: "kept" });
    },
  );

  it("refuses a file over the size limit", async () => {
    const vault = await newVault();
    const content = Array.from({ length: 300 }, (_, i) => `K${i}=${"z".repeat(60_000)}`).join("\n");
    const error = await vault.importEnv({ content }).catch((e) => e);
    expect(error).toBeInstanceOf(LimitExceededError);
  });
});

describe("plans and conflicts", () => {
  it("writes nothing on a dry run, and reports the plan", async () => {
    const vault = await newVault();
    await vault.addVariable({ name: "SAME", value: "1" });
    await vault.addVariable({ name: "Different", value: "old" });
    const content = "NEW=1\nSAME=1\nDIFFERENT=new\n";
    const plan = await vault.importEnv({ content, kind: "VARIABLE", onConflict: "OVERWRITE", dryRun: true });
    expect(plan).toEqual({
      created: ["NEW"],
      updated: ["Different"],
      unchanged: ["SAME"],
      skipped: [],
      conflicts: [],
      applied: false,
      id: null,
    });
    expect(await contents(vault)).toEqual({ SAME: "1", Different: "old" });
  });

  it("applies the three conflict policies", async () => {
    const vault = await newVault();
    const content = "KEEP=file\nFRESH=1\nSAME=1\n";
    await vault.addVariable({ name: "KEEP", value: "vault" });
    await vault.addVariable({ name: "same", value: "1" });

    const failed = await vault.importEnv({ content, kind: "VARIABLE" }).catch((e) => e);
    expect(failed).toBeInstanceOf(NameTakenError);
    expect((failed as NameTakenError).names).toEqual(["KEEP"]);
    expect(await contents(vault)).toEqual({ KEEP: "vault", same: "1" });

    const skipped = await vault.importEnv({ content, kind: "VARIABLE", onConflict: "SKIP" });
    expect(skipped).toEqual({
      created: ["FRESH"],
      updated: [],
      unchanged: ["same"],
      skipped: ["KEEP"],
      conflicts: [],
      applied: true,
      id: expect.any(String),
    });
    expect(await contents(vault)).toEqual({ KEEP: "vault", FRESH: "1", same: "1" });

    const overwritten = await vault.importEnv({
      content: "KEEP=file\nFRESH=2\n",
      kind: "VARIABLE",
      onConflict: "OVERWRITE",
    });
    expect(overwritten).toEqual({
      created: [],
      updated: ["KEEP", "FRESH"],
      unchanged: [],
      skipped: [],
      conflicts: [],
      applied: true,
      id: expect.any(String),
    });
    expect(await contents(vault)).toEqual({ KEEP: "file", FRESH: "2", same: "1" });
    expect((await vault.entryByName({ name: "KEEP" }))?.version).toBe(2);
  });

  it("makes agents using updated entries restart-required, with notices", async () => {
    const vault = await newVault();
    const key = await vault.addSecret({ name: "API_KEY", value: "old" });
    const agents = await Promise.all(["a", "b"].map((name) => vault.createAgent({ name, entryIds: [key.id] })));
    const notices: { agentId: string; entryName: string; change: string }[] = [];
    const subscription = vault.restartNeeded();
    const listening = (async () => {
      for await (const notice of subscription) {
        notices.push(notice);
        if (notices.length === 2) return;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await vault.importEnv({ content: "API_KEY=new\n", onConflict: "OVERWRITE" });
    for (const agent of agents) {
      expect((await vault.agent({ id: agent.id }))?.pendingChanges).toEqual([{ name: "API_KEY", change: "UPDATED" }]);
    }
    await listening;
    expect(notices.map((n) => n.agentId).sort()).toEqual(agents.map((a) => a.id).sort());
    expect(notices.every((n) => n.entryName === "API_KEY" && n.change === "UPDATED")).toBe(true);
  });

  it("plans against a vault of over 10,000 entries as against a small one", async () => {
    const vault = await newVault();
    const content = Array.from({ length: 10_001 }, (_, i) => `LARGE_${i}=value-${i}`).join("\n");
    expect((await vault.importEnv({ content, kind: "VARIABLE" })).created).toHaveLength(10_001);
    const report = await vault.importEnv({
      content: "LARGE_0=changed\nlarge_10000=value-10000\nLARGE_5=other\nFRESH=1\n",
      kind: "VARIABLE",
      onConflict: "OVERWRITE",
    });
    expect(report).toMatchObject({
      created: ["FRESH"],
      updated: ["LARGE_0", "LARGE_5"],
      unchanged: ["LARGE_10000"],
      skipped: [],
      applied: true,
    });
    expect((await vault.entries({ first: 1 })).totalCount).toBe(10_002);
  });

  it("is never seen half-written by requests served while it runs", async () => {
    const vault = await newVault();
    const content = Array.from({ length: 10_000 }, (_, i) => `HALF_${i}=value-${i}`).join("\n");
    let done = false;
    const importing = vault.importEnv({ content, kind: "VARIABLE" }).finally(() => {
      done = true;
    });
    const seen: number[] = [];
    while (!done) {
      // Each poll arrives as a new event, as a request from the network would.
      await new Promise((resolve) => setImmediate(resolve));
      seen.push((await vault.entries({ first: 1 })).totalCount);
    }
    await importing;
    // Requests were served during the import (it yields), and each saw all of it or none.
    expect(seen.filter((count) => count === 0).length).toBeGreaterThan(0);
    expect(seen.every((count) => count === 0 || count === 10_000)).toBe(true);
    expect((await vault.entries({ first: 1 })).totalCount).toBe(10_000);
  });

  it("does not take down with it the writes of requests served while it ran and failed", async () => {
    const vault = await newVault();
    // An agent whose environment an OVERWRITE of BIG_0 pushes past 1 MiB: the import fails after
    // writing its new entries, and rolls them back.
    const big = Array.from({ length: 17 }, (_, i) => `BIG_${i}=${"x".repeat(61_500)}`).join("\n");
    await vault.importEnv({ content: big, kind: "VARIABLE" });
    const entryIds = (await vault.entries({ first: 17 })).edges.map((edge) => edge.node.id);
    const agent = await vault.createAgent({ name: "crowded", entryIds });
    const content = [
      `BIG_0=${"y".repeat(64 * 1024)}`,
      ...Array.from({ length: 10_000 }, (_, i) => `NEW_${i}=value-${i}`),
    ].join("\n");
    let done = false;
    const importing = vault
      .importEnv({ content, kind: "VARIABLE", onConflict: "OVERWRITE" })
      .then(
        () => null,
        (error: unknown) => error,
      )
      .finally(() => {
        done = true;
      });
    const tokens: string[] = [];
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      tokens.push((await vault.createRuntimeToken({ agentId: agent.id })).token);
    }
    expect(await importing).toBeInstanceOf(LimitExceededError);
    expect((await vault.entries({ first: 1 })).totalCount).toBe(17);
    // Every token the vault handed out works: none was rolled back with the import.
    expect(tokens.length).toBeGreaterThan(1);
    for (const token of tokens) {
      const runtime = createRuntimeClient({
        url: "http://vault.test/graphql",
        token,
        fetch: t.vault.yoga.fetch as typeof fetch,
      });
      expect(Object.keys((await runtime.environment()).environment)).toContain("BIG_0");
    }
  });

  it("leaves no duplicate when two imports of overlapping names race", async () => {
    const vault = await newVault();
    const a = Array.from({ length: 200 }, (_, i) => `SHARED_${i}=a`).join("\n");
    const b = Array.from({ length: 200 }, (_, i) => `SHARED_${i}=b`).join("\n");
    const results = await Promise.allSettled([
      vault.importEnv({ content: a, kind: "VARIABLE", onConflict: "OVERWRITE" }),
      vault.importEnv({ content: b, kind: "VARIABLE", onConflict: "OVERWRITE" }),
    ]);
    expect(results.some((r) => r.status === "fulfilled")).toBe(true);
    const entries = await contents(vault);
    expect(Object.keys(entries)).toHaveLength(200);
    // All or nothing: one import's values throughout, never a mix.
    expect(new Set(Object.values(entries)).size).toBe(1);
  });
});

describe("each line's kind", () => {
  it("imports the lines named in variables as variables and the rest as the file's kind; an agent gets each as written", async () => {
    const vault = await newVault();
    const content = "API_KEY=sk-line-kinds\nLOG_LEVEL=debug\nEMPTY_FLAG=\n";
    // As secrets only, the empty line is refused: a secret's value cannot be empty.
    expect(await vault.importEnv({ content, kind: "SECRET" }).catch((e) => e)).toBeInstanceOf(EnvParseError);
    const report = await vault.importEnv({ content, kind: "SECRET", variables: ["log_level", "EMPTY_FLAG"] });
    expect(report).toMatchObject({ created: ["API_KEY", "LOG_LEVEL", "EMPTY_FLAG"], applied: true });
    expect(await contents(vault)).toEqual({ API_KEY: "<secret>", LOG_LEVEL: "debug", EMPTY_FLAG: "" });
    const { environment } = await environmentOfAll(vault, "kinds");
    expect(environment).toEqual({
      API_KEY: "sk-line-kinds",
      LOG_LEVEL: "debug",
      EMPTY_FLAG: "",
    });
  });

  it("refuses a name in variables that the file does not set, and writes nothing", async () => {
    const vault = await newVault();
    const refused = await vault
      .importEnv({ content: "A_KEY=1\nLEVEL=2\n", variables: ["LEVEL", "LEVL"] })
      .catch((e) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect(refused).toMatchObject({ field: "variables" });
    expect((refused as Error).message).toContain("LEVL is not in the file");
    expect(await contents(vault)).toEqual({});
  });

  it("never turns an existing secret into a variable, and finds a marked variable unchanged", async () => {
    const vault = await newVault();
    await vault.addSecret({ name: "TOKEN", value: "stored-token" });
    await vault.addVariable({ name: "MODE", value: "fast" });
    const refused = await vault
      .importEnv({ content: "TOKEN=x\nMODE=fast\nNEW_ONE=1\n", variables: ["TOKEN", "MODE"], onConflict: "OVERWRITE" })
      .catch((e) => e);
    expect(refused).toBeInstanceOf(NameTakenError);
    expect((refused as NameTakenError).names).toEqual(["TOKEN"]);
    expect((refused as Error).message).toContain("never turns a secret into a variable");
    expect(await contents(vault)).toEqual({ TOKEN: "<secret>", MODE: "fast" });

    const report = await vault.importEnv({
      content: "MODE=fast\nNEW_ONE=1\n",
      variables: ["MODE"],
      onConflict: "OVERWRITE",
    });
    expect(report).toMatchObject({ created: ["NEW_ONE"], unchanged: ["MODE"], updated: [] });
    expect((await vault.entryByName({ name: "NEW_ONE" }))?.__typename).toBe("Secret");
    expect((await vault.entryByName({ name: "MODE" }))?.version).toBe(1);
  });
});

describe("re-importing a file with overwrite", () => {
  it("leaves a secret with the file's value as it was (no version, no restart), within verifySecret's limit", async () => {
    const own = await startTestVault({ rateLimits: { verifyPerMinute: 4 } });
    try {
      const { token } = await own.newUser("reimporter");
      const vault = createVaultClient({
        url: "http://vault.test/graphql",
        token,
        fetch: own.vault.yoga.fetch as typeof fetch,
      });
      const ids = [];
      for (const name of ["ALPHA", "BRAVO", "CHARLIE"])
        ids.push((await vault.addSecret({ name, value: `${name}-value` })).id);
      const agent = await vault.createAgent({ name: "steady", entryIds: ids });
      const { token: runtimeToken } = await vault.createRuntimeToken({ agentId: agent.id });
      await createRuntimeClient({
        url: "http://vault.test/graphql",
        token: runtimeToken,
        fetch: own.vault.yoga.fetch as typeof fetch,
      }).environment();
      expect((await vault.agent({ id: agent.id }))?.pendingChanges).toEqual([]);
      const version = async (name: string) => (await vault.entryByName({ name }))?.version;

      // A plan compares nothing: it says updated whatever the value.
      const plan = await vault.importEnv({ content: "ALPHA=ALPHA-value\n", onConflict: "OVERWRITE", dryRun: true });
      expect(plan).toMatchObject({ updated: ["ALPHA"], unchanged: [] });

      const first = await vault.importEnv({ content: "ALPHA=ALPHA-value\nBRAVO=changed\n", onConflict: "OVERWRITE" });
      expect(first).toMatchObject({ unchanged: ["ALPHA"], updated: ["BRAVO"] });
      expect([await version("ALPHA"), await version("BRAVO")]).toEqual([1, 2]);
      expect((await vault.agent({ id: agent.id }))?.pendingChanges).toEqual([{ name: "BRAVO", change: "UPDATED" }]);

      const second = await vault.importEnv({
        content: "ALPHA=ALPHA-value\nCHARLIE=CHARLIE-value\n",
        onConflict: "OVERWRITE",
      });
      expect(second).toMatchObject({ unchanged: ["ALPHA", "CHARLIE"], updated: [] });
      // Four comparisons so far, verifySecret's limit here: the next secret is written as a new version.
      const third = await vault.importEnv({ content: "CHARLIE=CHARLIE-value\n", onConflict: "OVERWRITE" });
      expect(third).toMatchObject({ unchanged: [], updated: ["CHARLIE"] });
      expect(await version("CHARLIE")).toBe(2);
      // The comparisons were verifySecret attempts: none is left this minute.
      expect(await vault.verifySecret({ id: ids[0] as string, value: "ALPHA-value" }).catch((e) => e)).toBeInstanceOf(
        LimitExceededError,
      );
    } finally {
      await own.close();
    }
  });

  it("compares nothing for a token that may not call verifySecret", async () => {
    const owner = await newVault();
    await owner.addSecret({ name: "WRITTEN", value: "same-value" });
    const { token } = await owner.createApiToken({ name: "writer", scopes: ["ENTRIES_WRITE"] });
    const writer = createVaultClient({
      url: "http://vault.test/graphql",
      token,
      fetch: t.vault.yoga.fetch as typeof fetch,
    });
    const report = await writer.importEnv({ content: "WRITTEN=same-value\n", onConflict: "OVERWRITE" });
    expect(report).toMatchObject({ unchanged: [], updated: ["WRITTEN"] });
    expect((await owner.entryByName({ name: "WRITTEN" }))?.version).toBe(2);
  });
});

describe("secrets in reports and errors", () => {
  it("never carries a value in a report or an error", async () => {
    const marker = `sk-${randomBytes(12).toString("hex")}`;
    const responses: string[] = [];
    const capture = (async (input: string, init?: RequestInit) => {
      const response = await (t.vault.yoga.fetch as typeof fetch)(input, init);
      responses.push(await response.clone().text());
      return response;
    }) as typeof fetch;
    const { token } = await t.newUser("marker");
    const spy = createVaultClient({ url: "http://vault.test/graphql", token, fetch: capture });
    await spy.importEnv({ content: `OK=${marker}\n` });
    await spy.importEnv({ content: `OK=${marker}-2\n`, dryRun: true, onConflict: "OVERWRITE" });
    await spy.importEnv({ content: `OK=${marker}-3\n` }).catch(() => {});
    await spy.importEnv({ content: `BAD LINE ${marker}\nX="${marker}\n` }).catch(() => {});
    await spy.importEnv({ content: `PATH=${marker}\nDUP=1\nDUP=${marker}\n` }).catch(() => {});
    await spy.importEnv({ content: `BIG=${marker}${"x".repeat(70_000)}\n` }).catch(() => {});
    expect(responses.length).toBe(6);
    for (const body of responses) expect(body).not.toContain(marker);
  });
});
