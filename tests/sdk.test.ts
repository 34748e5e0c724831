// The SDK against the app in process: typed methods, success data, and every error class.

import {
  AgentByNameDocument,
  createVaultClient,
  EntryInUseError,
  LimitExceededError,
  NameTakenError,
  NotFoundError,
  ValidationError,
  type VaultClient,
  VaultError,
  VersionConflictError,
} from "@agent-vault/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestVault, type TestVault } from "./helpers/test-vault.ts";

let t: TestVault;
let vault: VaultClient;

const clientFor = (token: string) =>
  createVaultClient({ url: "http://vault.test/graphql", token, fetch: t.vault.yoga.fetch as typeof fetch });

beforeAll(async () => {
  t = await startTestVault({ rateLimits: { verifyPerMinute: 3 } });
  vault = clientFor((await t.newUser("sdk")).token);
});
afterAll(() => t.close());

describe("the SDK", () => {
  it("runs the main flow with typed results", async () => {
    const secret = await vault.addSecret({ name: "OPENAI_API_KEY", value: "sk-sdk" });
    expect(secret).toMatchObject({ __typename: "Secret", name: "OPENAI_API_KEY", version: 1, usedByCount: 0 });
    expect(secret).not.toHaveProperty("value");
    const variable = await vault.addVariable({ name: "MODEL", value: "gpt-5" });
    expect(variable.__typename === "Variable" && variable.value).toBe("gpt-5");

    const agent = await vault.createAgent({ name: "sdk-bot", entryIds: [variable.id] });
    expect(agent.restartRequired).toBe(false);
    const attached = await vault.attachEntries({ agentId: agent.id, entryIds: [secret.id] });
    expect(attached.pendingChanges).toEqual([{ name: "OPENAI_API_KEY", change: "ADDED" }]);

    const refusal = await vault.deleteEntry({ id: secret.id }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(EntryInUseError);
    expect(refusal).toBeInstanceOf(VaultError);
    expect((refusal as EntryInUseError).code).toBe("ENTRY_IN_USE");
    expect((refusal as EntryInUseError).agents).toEqual([{ id: agent.id, name: "sdk-bot" }]);

    await vault.detachEntries({ agentId: agent.id, entryIds: [secret.id] });
    expect(await vault.deleteEntry({ id: secret.id })).toBe(secret.id);
    const restarted = await vault.restartAgent({ agentId: agent.id });
    expect(restarted.restartRequired).toBe(false);

    const entries = await vault.entries({ first: 10 });
    expect(entries.totalCount).toBe(1);
    expect(entries.edges.map((edge) => edge.node.name)).toEqual(["MODEL"]);
    expect((await vault.entryByName({ name: "model" }))?.id).toBe(variable.id);
    expect((await vault.agents()).edges[0]?.node.name).toBe("sdk-bot");
    expect(await vault.entry({ id: secret.id })).toBeNull();
    expect(await vault.deleteAgent({ agentId: agent.id })).toBe(agent.id);
  });

  it("rejects with the error class of each typed failure", async () => {
    const secret = await vault.addSecret({ name: "ERRORS", value: "1" });
    await vault.updateSecret({ id: secret.id, value: "2" });

    const conflict = await vault.updateSecret({ id: secret.id, value: "3", expectedVersion: 1 }).catch((e) => e);
    expect(conflict).toBeInstanceOf(VersionConflictError);
    expect(conflict).toMatchObject({ code: "VERSION_CONFLICT", currentVersion: 2 });

    const invalid = await vault.addSecret({ name: "bad name", value: "x" }).catch((e) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(invalid).toMatchObject({ code: "VALIDATION", field: "name" });

    const taken = await vault.addVariable({ name: "errors", value: "x" }).catch((e) => e);
    expect(taken).toBeInstanceOf(NameTakenError);
    expect(taken.code).toBe("NAME_TAKEN");

    const missing = await vault.restartAgent({ agentId: "no-such-agent" }).catch((e) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.code).toBe("NOT_FOUND");

    expect(await vault.verifySecret({ id: secret.id, value: "2" })).toBe(true);
    expect(await vault.verifySecret({ id: secret.id, value: "1" })).toBe(false);
    await vault.verifySecret({ id: secret.id, value: "0" });
    const limited = await vault.verifySecret({ id: secret.id, value: "2" }).catch((e) => e);
    expect(limited).toBeInstanceOf(LimitExceededError);
    expect(limited.code).toBe("LIMIT_EXCEEDED");
  });

  it("rejects with VaultError UNAUTHENTICATED for a bad token and NETWORK for no server", async () => {
    const anonymous = clientFor("avt_not_a_real_token");
    const unauthenticated = await anonymous.viewer().catch((e) => e);
    expect(unauthenticated).toBeInstanceOf(VaultError);
    expect(unauthenticated.code).toBe("UNAUTHENTICATED");

    const unreachable = createVaultClient({ url: "http://127.0.0.1:1/graphql", token: "avt_x" });
    const network = await unreachable.viewer().catch((e) => e);
    expect(network).toBeInstanceOf(VaultError);
    expect(network.code).toBe("NETWORK");
  });

  it("exposes the urql client and the typed documents for operations of one's own", async () => {
    await vault.createAgent({ name: "raw-agent" });
    const result = await vault.client.query(AgentByNameDocument, { name: "RAW-AGENT" }).toPromise();
    expect(result.data?.agentByName?.name).toBe("raw-agent");
  });
});
