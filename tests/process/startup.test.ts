// Start-up as a user meets it: `agent-vault serve` and `agent-vault user create` as real
// processes, the master key rules, and the first user's token.

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { type AddressInfo, connect, createServer as createNetServer } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanEnv, eventually, freePort, runCli, startServer, track } from "../helpers/processes.ts";

const dirs: string[] = [];
function dataDir() {
  const dir = mkdtempSync(path.join(tmpdir(), "agent-vault-start-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function graphql(url: string, token: string, query: string) {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: await response.json() };
}

describe("serve", () => {
  it("starts on a new SQLite file, prints the first user's token once, and serves GraphiQL", async () => {
    const dir = dataDir();
    const server = await startServer({ AGENT_VAULT_DATA_DIR: dir });
    try {
      const { stdout, stderr } = server.output();
      const token = /avt_[0-9A-Za-z]{38}/.exec(stdout)?.[0] as string;
      expect(token).toBeDefined();
      expect(stdout).toContain("/graphql");
      expect(stderr).toContain("generated one");
      expect(existsSync(path.join(dir, "vault.db"))).toBe(true);
      expect(statSync(path.join(dir, "master.key")).mode & 0o777).toBe(0o600);

      const viewer = await graphql(server.url, token, "{ viewer { name } }");
      expect(viewer.body).toEqual({ data: { viewer: { name: "owner" } } });
      const page = await fetch(`${server.url}/graphql`, { headers: { accept: "text/html" } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("GraphiQL");
    } finally {
      await server.stop();
    }

    // A second start on the same data directory prints no new token.
    const again = await startServer({ AGENT_VAULT_DATA_DIR: dir });
    await again.stop();
    expect(again.output().stdout).not.toMatch(/avt_/);
  });
});

describe("mistakes at start", () => {
  it("creates nothing and prints no token when the port is taken at a new vault's first start", async () => {
    const taken = createNetServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const dir = path.join(dataDir(), "new-vault");
      const run = await runCli(["serve"], { AGENT_VAULT_DATA_DIR: dir, PORT: String(port) });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`Port ${port} is in use`);
      expect(run.stdout + run.stderr).not.toMatch(/avt_/);
      expect(existsSync(dir)).toBe(false);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it("refuses to start when master.key is gone beside the vault's database, and makes no new one", async () => {
    const dir = dataDir();
    const first = await startServer({ AGENT_VAULT_DATA_DIR: dir });
    await first.stop();
    expect(first.output().stdout).toMatch(/The user is named owner: .*agent-vault user token --user owner/);
    rmSync(path.join(dir, "master.key"));
    const run = await runCli(["serve"], { AGENT_VAULT_DATA_DIR: dir, PORT: "0" });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/has a database but no master.key: restore .*master.key from your backup/);
    expect(existsSync(path.join(dir, "master.key"))).toBe(false);
    // So do the other server commands.
    const token = await runCli(["user", "token", "--user", "owner"], { AGENT_VAULT_DATA_DIR: dir });
    expect(token.code).toBe(1);
    expect(existsSync(path.join(dir, "master.key"))).toBe(false);
  });

  it("listens on this machine only by default, and where HOST (or --host) says", async () => {
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((address) => address && address.family === "IPv4" && !address.internal)?.address;
    const reach = (host: string, port: number) =>
      new Promise<boolean>((resolve) => {
        const socket = connect({ host, port }, () => {
          socket.destroy();
          resolve(true);
        });
        socket.on("error", () => resolve(false));
      });
    const dir = dataDir();
    const loopback = await startServer({ AGENT_VAULT_DATA_DIR: dir });
    try {
      expect(loopback.output().stdout).toContain("this machine only");
      expect(await reach("127.0.0.1", loopback.port)).toBe(true);
      if (outside) expect(await reach(outside, loopback.port)).toBe(false);
    } finally {
      await loopback.stop();
    }
    const everywhere = await startServer({ AGENT_VAULT_DATA_DIR: dir, HOST: "0.0.0.0" });
    try {
      expect(await reach("127.0.0.1", everywhere.port)).toBe(true);
      if (outside) expect(await reach(outside, everywhere.port)).toBe(true);
    } finally {
      await everywhere.stop();
    }
  });

  it("stops when npm start is sent SIGTERM, as a supervisor or a container runtime does", async () => {
    const dir = dataDir();
    const port = await freePort();
    const npm = spawn("npm", ["start", "--silent"], {
      cwd: path.resolve(import.meta.dirname, "../.."),
      env: cleanEnv({ AGENT_VAULT_DATA_DIR: dir, PORT: String(port) }),
      stdio: "ignore",
    });
    track(npm);
    await eventually(
      () =>
        fetch(`http://127.0.0.1:${port}/healthz`).then(
          (response) => response.ok,
          () => false,
        ),
      "npm start to serve",
      30_000,
    );
    const exited = new Promise((resolve) => npm.once("exit", resolve));
    npm.kill("SIGTERM");
    await exited;
    await eventually(
      () =>
        fetch(`http://127.0.0.1:${port}/healthz`).then(
          () => false,
          () => true,
        ),
      "the vault to stop with npm",
      10_000,
    );
    expect(existsSync(path.join(dir, "vault.db.serve-lock"))).toBe(false);
  });
});

describe("user create", () => {
  it("prints {userId, token} with --json, and the token works on the server", async () => {
    const dir = dataDir();
    const key = randomBytes(32).toString("base64");
    const env = { AGENT_VAULT_DATA_DIR: dir, AGENT_VAULT_MASTER_KEY: key };
    const created = await runCli(["user", "create", "--name", "dana", "--json"], env);
    expect(created.code).toBe(0);
    const { userId, token } = JSON.parse(created.stdout);
    expect(userId).toBeTypeOf("string");
    expect(token).toMatch(/^avt_/);

    const server = await startServer(env);
    try {
      const viewer = await graphql(server.url, token, "{ viewer { id name } }");
      expect(viewer.body.data.viewer).toEqual({ id: userId, name: "dana" });
      const add = await graphql(
        server.url,
        token,
        'mutation { addSecret(input: {name: "K", value: "v"}) { __typename } }',
      );
      expect(add.body.data.addSecret.__typename).toBe("MutationAddSecretSuccess");
    } finally {
      await server.stop();
    }
  });

  it("exits 2 on a usage error", async () => {
    const run = await runCli(["user", "create"], { AGENT_VAULT_DATA_DIR: dataDir() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--name");
  });
});

describe("master key", () => {
  it("refuses to start with a different key than the vault was initialised with, naming the setting", async () => {
    const dir = dataDir();
    const key = randomBytes(32).toString("base64");
    expect(
      (await runCli(["user", "create", "--name", "a"], { AGENT_VAULT_DATA_DIR: dir, AGENT_VAULT_MASTER_KEY: key }))
        .code,
    ).toBe(0);
    const wrong = randomBytes(32).toString("base64");
    const run = await runCli(["user", "create", "--name", "b"], {
      AGENT_VAULT_DATA_DIR: dir,
      AGENT_VAULT_MASTER_KEY: wrong,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("AGENT_VAULT_MASTER_KEY");
    expect(run.stderr).not.toContain(wrong);
    expect(run.stderr).not.toContain(key);
  });

  it.each([
    ["short", randomBytes(16).toString("base64")],
    ["malformed", "not-a-key-%%%"],
    ["empty", ""],
  ])("refuses a %s key with a message naming the setting and not the value", async (_label, value) => {
    const dir = dataDir();
    const run = await runCli(["serve"], { AGENT_VAULT_DATA_DIR: dir, AGENT_VAULT_MASTER_KEY: value, PORT: "0" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("AGENT_VAULT_MASTER_KEY");
    if (value) expect(run.stderr).not.toContain(value);
    expect(existsSync(path.join(dir, "vault.db"))).toBe(false);
  });

  it("reads the key from AGENT_VAULT_MASTER_KEY_FILE", async () => {
    const dir = dataDir();
    const file = path.join(dir, "key.txt");
    writeFileSync(file, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600 });
    const run = await runCli(["user", "create", "--name", "f", "--json"], {
      AGENT_VAULT_DATA_DIR: dir,
      AGENT_VAULT_MASTER_KEY_FILE: file,
    });
    expect(run.code).toBe(0);
    expect(existsSync(path.join(dir, "master.key"))).toBe(false);
  });

  it("refuses to start under NODE_ENV=production without an explicit key", async () => {
    const dir = dataDir();
    const run = await runCli(["serve"], { AGENT_VAULT_DATA_DIR: dir, NODE_ENV: "production", PORT: "0" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("AGENT_VAULT_MASTER_KEY");
    expect(existsSync(path.join(dir, "master.key"))).toBe(false);
    expect(existsSync(path.join(dir, "vault.db"))).toBe(false);
  });

  it("keeps the generated key file private", async () => {
    const dir = dataDir();
    await runCli(["user", "create", "--name", "g"], { AGENT_VAULT_DATA_DIR: dir });
    const keyFile = path.join(dir, "master.key");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(keyFile, "utf8").trim(), "base64")).toHaveLength(32);
  });

  it("creates the database file and its write-ahead log mode 0600 in a data directory someone else made", async () => {
    const dir = dataDir();
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
    const env = { AGENT_VAULT_DATA_DIR: dir, AGENT_VAULT_MASTER_KEY: randomBytes(32).toString("base64") };
    const server = await startServer(env);
    try {
      expect(statSync(path.join(dir, "vault.db")).mode & 0o777).toBe(0o600);
      for (const suffix of ["-wal", "-shm"]) {
        const file = path.join(dir, `vault.db${suffix}`);
        if (existsSync(file)) expect(statSync(file).mode & 0o777, suffix).toBe(0o600);
      }
      expect(existsSync(path.join(dir, "vault.db-wal"))).toBe(true);
    } finally {
      await server.stop();
    }
  });
});

describe("in production", () => {
  it("prints no token to stdout (a service's logs), and says how to get one", async () => {
    const dir = dataDir();
    const env = {
      AGENT_VAULT_DATA_DIR: dir,
      NODE_ENV: "production",
      AGENT_VAULT_MASTER_KEY: randomBytes(32).toString("base64"),
    };
    const server = await startServer(env);
    try {
      await eventually(() => server.output().stdout.includes("listening"), "the server to say it listens");
      const { stdout, stderr } = server.output();
      expect(stdout + stderr).not.toMatch(/avt_/);
      expect(stdout).toContain("agent-vault user create --name NAME");
      const created = await runCli(["user", "create", "--name", "first", "--json"], env);
      expect(JSON.parse(created.stdout).token).toMatch(/^avt_/);
    } finally {
      await server.stop();
    }
  });
});
