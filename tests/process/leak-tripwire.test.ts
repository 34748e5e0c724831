// The leak tripwire end to end (issue 32's "must show"): an agent with 20 environment secrets,
// run by `agent-vault run`, prints each value in ten ways and its output holds none of them; the
// same agent sends one through the broker and nothing reaches the upstream (policy block, the
// default); both are in the activity log without the value.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CONCEALED, createVaultClient, type VaultClient } from "@agent-vault/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarkers } from "../helpers/leak-scan.ts";
import { mockUpstream } from "../helpers/mock-upstream.ts";
import { newServerEnv, runCli, startServer } from "../helpers/processes.ts";

let work: string;
let server: Awaited<ReturnType<typeof startServer>>;
let upstream: Awaited<ReturnType<typeof mockUpstream>>;
let vault: VaultClient;
let drop: () => Promise<void>;

// Each value with characters JSON, URLs and base64 write their own way.
const values = Array.from({ length: 20 }, (_, i) => `s${i}-${randomBytes(9).toString("base64")}/é"&`);

// Ten ways to print each value; then a request through the broker carrying the last one; then exit 3.
const AGENT_SCRIPT = `
const names = Object.keys(process.env).filter((name) => name.startsWith("ENV_SECRET_")).sort();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
for (const name of names) {
  const value = process.env[name];
  const raw = Buffer.from(value);
  console.log("raw " + value);
  process.stdout.write("split " + value.slice(0, 5));
  await sleep(20);
  process.stdout.write(value.slice(5) + "\\n");
  console.log("base64 " + raw.toString("base64"));
  console.log("base64url " + raw.toString("base64url"));
  console.log("inside " + Buffer.concat([Buffer.from("key="), raw]).toString("base64"));
  console.log("url " + encodeURIComponent(value));
  console.log("json " + JSON.stringify({ [name]: value }));
  console.log("hex " + raw.toString("hex"));
  console.error("stderr " + value);
  process.stdout.write("no newline " + value);
  console.log();
}
const last = process.env[names.at(-1)];
const response = await fetch(process.env.API_BASE_URL + "/chat", {
  method: "POST",
  headers: { authorization: "Bearer " + process.env.API_KEY, "content-type": "application/json" },
  body: JSON.stringify({ messages: [{ role: "user", content: "here is the key: " + last }] }),
});
console.log("BROKER " + response.status + " " + (await response.text()));
process.exit(3);
`;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "agent-vault-tripwire-"));
  upstream = await mockUpstream();
  const serverEnv = await newServerEnv(work);
  drop = serverEnv.drop;
  const env = { ...serverEnv.env, AGENT_VAULT_ALLOW_PRIVATE_UPSTREAMS: "true" };
  const token = JSON.parse((await runCli(["user", "create", "--name", "tripwire", "--json"], env)).stdout).token;
  server = await startServer(env);
  vault = createVaultClient({ url: `${server.url}/graphql`, token });
});

afterAll(async () => {
  await server?.stop();
  await upstream?.close();
  await drop?.();
  rmSync(work, { recursive: true, force: true });
});

describe("the leak tripwire", () => {
  it("conceals 20 secrets printed ten ways by agent-vault run, and blocks one sent through the broker", async () => {
    const ids: string[] = [];
    for (const [i, value] of values.entries()) {
      ids.push((await vault.addSecret({ name: `ENV_SECRET_${String(i).padStart(2, "0")}`, value })).id);
    }
    const region = `region-${randomBytes(8).toString("hex")}`;
    ids.push((await vault.addVariable({ name: "REGION_NAME", value: region })).id);
    const brokered = await vault.addSecret({
      name: "API_KEY",
      value: `sk-${randomBytes(16).toString("hex")}`,
      delivery: "BROKERED",
      upstream: { baseUrl: `${upstream.url}/v1`, template: "Bearer {value}", baseUrlVariable: "API_BASE_URL" },
    });
    const agent = await vault.createAgent({ name: "tripwire-bot", entryIds: [...ids, brokered.id] });
    const { token } = await vault.createRuntimeToken({ agentId: agent.id });
    const env = { AGENT_VAULT_URL: `${server.url}/graphql`, AGENT_VAULT_RUNTIME_TOKEN: token };

    const ran = await runCli(["run", "--", process.execPath, "--input-type=module", "-e", AGENT_SCRIPT], env);
    expect(ran.code, ran.stderr).toBe(3);
    const output = `${ran.stdout}\n${ran.stderr}`;
    expect(findMarkers(output, values)).toEqual([]);
    for (const value of values) expect(output).not.toContain(encodeURIComponent(value));
    // Every way each value was printed shows the marker: ten per value (the stderr one included).
    expect(output.split(CONCEALED).length - 1).toBeGreaterThanOrEqual(values.length * 10);
    expect(ran.stdout).toContain(`split ${CONCEALED}\n`);

    // The broker refused the request that carried the last value: nothing reached the upstream.
    const broker = ran.stdout.split("\n").find((line) => line.startsWith("BROKER ")) ?? "";
    expect(broker).toContain("BROKER 403 ");
    expect(broker).toContain("the request carries the value of ENV_SECRET_19");
    expect(upstream.received).toEqual([]);
    const events = await vault.activity({ filter: { actions: ["SECRET_LEAK_BLOCKED"] } });
    expect(events.edges.map((edge) => edge.node.entryName)).toEqual(["ENV_SECRET_19"]);
    expect(findMarkers(JSON.stringify(events), values)).toEqual([]);

    // --no-masking: the output as the agent wrote it.
    const unmasked = await runCli(
      ["run", "--no-masking", "--", process.execPath, "-e", "console.log(process.env.ENV_SECRET_00)"],
      env,
    );
    expect(unmasked.stdout.trim()).toBe(values[0]);
  });
});
