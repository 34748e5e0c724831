// createVaultClient: one typed method per operation of the vault's API (generated from
// sdk/operations), pagination helpers, and the restart-needed notices as an async iterator.
import { Client, fetchExchange, stringifyDocument } from "@urql/core";
import { createClient as createSseClient } from "graphql-sse";
import { VaultError } from "./errors.ts";
import * as D from "./generated/graphql.ts";
import { operationMethods } from "./generated/methods.ts";
import { allNodes } from "./pagination.ts";
import { fromGraphQLErrors, httpError, networkError, operationRunner } from "./runner.ts";

export type VaultClientOptions = {
  /** The GraphQL address, such as http://localhost:4000/graphql. */
  url: string;
  /** An API token (avt_...). */
  token: string;
  /** A fetch implementation; the global one by default. */
  fetch?: typeof fetch;
};

export type RestartNotice = D.RestartNeededSubscription["restartNeeded"];
export type LimitNotice = D.LimitReachedSubscription["limitReached"];
export type LeakNotice = D.SecretLeakedSubscription["secretLeaked"];
export type ActivityEvent = D.ActivityEventFieldsFragment;
export type ProviderStatusNotice = D.ProviderStatusChangedSubscription["providerStatusChanged"];
export type EntryVersion = D.EntryVersionFieldsFragment;
export type Entry = D.EntryFieldsFragment;
export type Agent = D.AgentFieldsFragment;

const DEFAULT_PAGE_SIZE = 100;
// The vault pages entries up to 500 at a time: 250 lists 100,000 entries about a fifth faster
// than 100 (fewer requests), and more gains little.
const ENTRY_PAGE_SIZE = 250;

function fromStreamError(url: string, error: unknown): VaultError {
  if (error instanceof VaultError) return error;
  const status = (error as { response?: { status?: number; statusText?: string } })?.response?.status;
  if (status === 401)
    return fromGraphQLErrors([
      {
        message: "Authentication failed: the token is missing, invalid or revoked",
        extensions: { code: "UNAUTHENTICATED" },
      },
    ]);
  if (status) return httpError(url, status);
  if (Array.isArray(error)) return fromGraphQLErrors(error);
  if (error instanceof TypeError) return networkError(url, error);
  return new VaultError(`The subscription failed: ${(error as Error)?.message ?? String(error)}`, "NETWORK");
}

export function createVaultClient(options: VaultClientOptions) {
  const client = new Client({
    url: options.url,
    fetch: options.fetch,
    exchanges: [fetchExchange],
    requestPolicy: "network-only",
    preferGetMethod: false,
    fetchOptions: () => ({ headers: { authorization: `Bearer ${options.token}` } }),
  });
  const methods = operationMethods(operationRunner(client, options.url));

  return {
    /** The underlying urql client, for operations of your own. */
    client,
    ...methods,

    /** Every entry (optionally of one kind, or whose name holds a text), fetched a page at a time as the loop goes on. */
    allEntries(
      variables: { kind?: D.EntryKind; search?: string; orderBy?: D.EntryOrder; pageSize?: number } = {},
    ): AsyncGenerator<Entry> {
      const first = variables.pageSize ?? ENTRY_PAGE_SIZE;
      const { kind, search, orderBy } = variables;
      return allNodes((after) => methods.entryPage({ kind, search, orderBy, first, after }));
    },

    /** Every agent, fetched a page at a time as the loop goes on. */
    allAgents(variables: { pageSize?: number } = {}): AsyncGenerator<Agent> {
      const first = variables.pageSize ?? DEFAULT_PAGE_SIZE;
      return allNodes((after) => methods.agents({ first, after }));
    },

    /** Every version of an entry, newest first (the current one and the kept earlier ones). */
    allEntryVersions(id: string, variables: { pageSize?: number } = {}): AsyncGenerator<EntryVersion> {
      const first = variables.pageSize ?? DEFAULT_PAGE_SIZE;
      return allNodes(async (after) => {
        const entry = await methods.entryVersions({ id, first, after });
        if (!entry) throw new VaultError(`No entry with id ${JSON.stringify(id)}`, "NOT_FOUND");
        return entry.versions;
      });
    },

    /** Every activity event that passes `filter`, newest first. */
    allActivity(variables: { filter?: D.ActivityFilter; pageSize?: number } = {}): AsyncGenerator<ActivityEvent> {
      const first = variables.pageSize ?? DEFAULT_PAGE_SIZE;
      return allNodes((after) => methods.activity({ filter: variables.filter, first, after }));
    },

    /**
     * Restart-needed notices as they happen, over server-sent events: for every agent, or for
     * one with `{ agentId }`. End it with `return()` (or `break` in a for await loop).
     */
    restartNeeded(
      variables: D.RestartNeededSubscriptionVariables = {},
      on: { connected?: () => void } = {},
    ): AsyncGenerator<RestartNotice> {
      return subscribe(
        D.RestartNeededDocument,
        variables,
        on,
        (data: D.RestartNeededSubscription) => data.restartNeeded,
      );
    },

    /** Changes of the AI provider cards' status (a token renewed, refused...), over server-sent events. */
    providerStatusChanged(on: { connected?: () => void } = {}): AsyncGenerator<ProviderStatusNotice> {
      return subscribe(
        D.ProviderStatusChangedDocument,
        {},
        on,
        (data: D.ProviderStatusChangedSubscription) => data.providerStatusChanged,
      );
    },

    /**
     * An agent's limit at 80 % and at 100 % of a maximum in its window, over server-sent events: for
     * every agent, or for one with `{ agentId }`.
     */
    limitReached(
      variables: D.LimitReachedSubscriptionVariables = {},
      on: { connected?: () => void } = {},
    ): AsyncGenerator<LimitNotice> {
      return subscribe(D.LimitReachedDocument, variables, on, (data: D.LimitReachedSubscription) => data.limitReached);
    },

    /**
     * Brokered requests found carrying the value of an agent's environment secret (blocked,
     * redacted or seen, as the vault's leak policy says), over server-sent events: for every
     * agent, or for one with `{ agentId }`.
     */
    secretLeaked(
      variables: D.SecretLeakedSubscriptionVariables = {},
      on: { connected?: () => void } = {},
    ): AsyncGenerator<LeakNotice> {
      return subscribe(D.SecretLeakedDocument, variables, on, (data: D.SecretLeakedSubscription) => data.secretLeaked);
    },

    /** New activity events as they are recorded (optionally filtered), over server-sent events. */
    activityAdded(
      variables: D.ActivityAddedSubscriptionVariables = {},
      on: { connected?: () => void } = {},
    ): AsyncGenerator<ActivityEvent> {
      return subscribe(
        D.ActivityAddedDocument,
        variables,
        on,
        (data: D.ActivityAddedSubscription) => data.activityAdded,
      );
    },
  };

  /** A subscription's results over server-sent events, as an async iterator. */
  function subscribe<Data, Item>(
    document: Parameters<typeof stringifyDocument>[0],
    variables: Record<string, unknown>,
    on: { connected?: () => void },
    pick: (data: Data) => Item,
  ): AsyncGenerator<Item> {
    const sse = createSseClient({
      url: options.url,
      headers: { authorization: `Bearer ${options.token}` },
      fetchFn: options.fetch,
      retryAttempts: 3,
    });
    const results = sse.iterate<Data>(
      { query: stringifyDocument(document), variables },
      { connected: () => on.connected?.() },
    );
    return (async function* () {
      try {
        for await (const result of results) {
          if (result.errors?.length) throw fromGraphQLErrors(result.errors);
          if (result.data) yield pick(result.data);
        }
      } catch (error) {
        throw fromStreamError(options.url, error);
      } finally {
        await results.return?.();
        sse.dispose();
      }
    })();
  }
}

export type VaultClient = ReturnType<typeof createVaultClient>;
