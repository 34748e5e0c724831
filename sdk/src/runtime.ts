// The runtime channel, for the process that runs an agent: its environment, and the restart
// commands for it. Authenticated by the agent's runtime token (avr_...).
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { errorFromResult, VaultError } from "./errors.ts";
import { httpError, networkError } from "./runner.ts";

export type RuntimeClientOptions = {
  /** The vault's GraphQL address; the runtime channel lives beside it on the same server. */
  url: string;
  /** The agent's runtime token (avr_...). */
  token: string;
  fetch?: typeof fetch;
};

export type AgentEnvironment = {
  agent: { id: string; name: string };
  /** When the agent (re)started with this environment. */
  startedAt: string | null;
  environment: Record<string, string>;
  /**
   * The names of the secrets in `environment` that hold their values (not variables, not brokered
   * placeholders): what a launcher should keep out of the agent's output (see `valueMatcher`).
   */
  concealed: string[];
};

export type RuntimeEvent =
  | { type: "hello"; agentId: string; startedAt: string | null }
  | {
      type: "restart";
      agentId: string;
      issuedAt: string;
      startedAt: string | null;
      /** Issued by the vault itself (an ON_CHANGE agent after a change), not by a person. */
      automatic?: boolean;
    };

export function runtimeEndpoint(graphqlUrl: string, path: "environment" | "commands"): string {
  return new URL(`runtime/${path}`, graphqlUrl).toString();
}

async function refusal(url: string, response: Response): Promise<VaultError> {
  const body = (await response.json().catch(() => null)) as {
    error?: { code?: string; message?: string; retryAfter?: number };
  } | null;
  const error = body?.error;
  if (!error?.message) return httpError(url, response.status, response.statusText);
  if (error.code === "UNAUTHENTICATED" || error.code === "TOO_MANY_REQUESTS" || error.code === "VALUE_UNREADABLE") {
    return errorFromResult({ __typename: error.code, message: error.message, retryAfter: error.retryAfter });
  }
  return new VaultError(error.message, "GRAPHQL");
}

export function createRuntimeClient(options: RuntimeClientOptions) {
  const doFetch = options.fetch ?? fetch;
  const headers = { authorization: `Bearer ${options.token}` };

  async function request(path: "environment" | "commands", init: RequestInit): Promise<Response> {
    try {
      return await doFetch(runtimeEndpoint(options.url, path), { ...init, headers: { ...headers, ...init.headers } });
    } catch (error) {
      if ((error as Error)?.name === "AbortError") throw error;
      throw networkError(options.url, error as Error);
    }
  }

  return {
    /** The agent's environment, decrypted. The vault records that the agent now runs with it. */
    async environment(): Promise<AgentEnvironment> {
      const response = await request("environment", { method: "POST" });
      if (!response.ok) throw await refusal(options.url, response);
      return (await response.json()) as AgentEnvironment;
    },

    /** The stream of commands for this agent, until `signal` aborts or the connection drops. */
    async *commands(signal?: AbortSignal): AsyncGenerator<RuntimeEvent> {
      const response = await request("commands", { method: "GET", signal, headers: { accept: "text/event-stream" } });
      if (!response.ok || !response.body) throw await refusal(options.url, response);
      const events: RuntimeEvent[] = [];
      const parser = createParser({
        onEvent: (message: EventSourceMessage) => {
          if (message.event === "hello" || message.event === "restart") {
            events.push({ type: message.event, ...JSON.parse(message.data) } as RuntimeEvent);
          }
        },
      });
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          parser.feed(decoder.decode(value, { stream: true }));
          while (events.length > 0) yield events.shift() as RuntimeEvent;
        }
      } finally {
        await reader.cancel().catch(() => {});
      }
    },
  };
}

export type RuntimeClient = ReturnType<typeof createRuntimeClient>;
