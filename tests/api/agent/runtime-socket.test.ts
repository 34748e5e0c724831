// POST /runtime/environment is answered by Node's server itself over a socket (app.ts's
// requestListener) and by the yoga plugin in process: both answer the same, refusals included.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen } from "../../helpers/mock-upstream.ts";
import { ok } from "../../helpers/operations.ts";
import { marker, startTestVault, type TestVault } from "../../helpers/test-vault.ts";
import { mistyped } from "../../helpers/tokens.ts";

let t: TestVault;
let served: Awaited<ReturnType<typeof listen>>;
let runtimeToken: string;
let apiToken: string;
const value = marker("SOCKET");

beforeAll(async () => {
  t = await startTestVault();
  const user = await t.newUser("socket");
  apiToken = user.token;
  const secret = await ok(user.gql, "addSecret", { name: "SOCKET_KEY", value });
  const agent = await ok(user.gql, "createAgent", { name: "socket-agent", entryIds: [secret.id] });
  runtimeToken = (await ok(user.gql, "createRuntimeToken", { agentId: agent.id })).token as string;
  served = await listen(t);
});
afterAll(async () => {
  await served.close();
  await t.close();
});

type Seen = { status: number; type: string | null; cache: string | null; retryAfter: string | null; body: unknown };

async function seen(response: Response): Promise<Seen> {
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    cache: response.headers.get("cache-control"),
    retryAfter: response.headers.get("retry-after"),
    body: await response.json(),
  };
}

/** The same request over the socket and in process. */
async function both(headers: Record<string, string>, path = "/runtime/environment") {
  const socket = await seen(await fetch(`${served.origin}${path}`, { method: "POST", headers: { ...headers } }));
  const inProcess = await seen(
    await t.vault.yoga.fetch(`${served.origin}${path}`, { method: "POST", headers: { ...headers } }),
  );
  return { socket, inProcess };
}

describe("the runtime environment over a socket", () => {
  it("is the same answer as in process", async () => {
    const { socket, inProcess } = await both({ authorization: `Bearer ${runtimeToken}` });
    expect(socket.status).toBe(200);
    expect(socket.cache).toBe("no-store");
    expect((socket.body as { environment: Record<string, string> }).environment).toEqual({ SOCKET_KEY: value });
    expect(socket).toEqual(inProcess);
  });

  it.each([
    ["no token", {}],
    ["an API token", () => ({ authorization: `Bearer ${apiToken}` })],
    ["a mistyped runtime token", () => ({ authorization: `Bearer ${mistyped(runtimeToken)}` })],
  ])("refuses %s the same way", async (_label, headers) => {
    const { socket, inProcess } = await both(typeof headers === "function" ? headers() : headers);
    expect(socket.status).toBe(401);
    expect(socket).toEqual(inProcess);
  });

  it("answers with a trailing slash and with a query, as in process", async () => {
    const headers = { authorization: `Bearer ${runtimeToken}` };
    for (const path of ["/runtime/environment/", "/runtime/environment?from=test"]) {
      const { socket, inProcess } = await both(headers, path);
      expect(socket.status).toBe(200);
      expect(socket).toEqual(inProcess);
    }
  });
});
