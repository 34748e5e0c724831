// The console's GraphQL client: urql over the vault's own /graphql, authenticated by the session
// cookie (same origin; the browser sends it) and the CSRF header the server requires of cookie
// requests. Subscriptions use server-sent events, as the SDK does.
import { createClient as createSseClient } from "graphql-sse";
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from "urql";

export const CSRF_HEADER = { "x-agent-vault-csrf": "1" };

export function createConsoleClient(onSignedOut: () => void): Client {
  const sse = createSseClient({
    url: "/graphql",
    headers: CSRF_HEADER,
    credentials: "same-origin",
    retryAttempts: 1000,
  });
  const signedOutFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (response.status === 401) onSignedOut();
    return response;
  };
  return new Client({
    url: "/graphql",
    fetch: signedOutFetch,
    fetchOptions: { credentials: "same-origin", headers: CSRF_HEADER },
    preferGetMethod: false,
    requestPolicy: "cache-and-network",
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (operation) => ({
          subscribe: (sink) => ({ unsubscribe: sse.subscribe({ ...operation, query: operation.query ?? "" }, sink) }),
        }),
      }),
    ],
  });
}

/** Exchanges an API token for a session cookie. Throws the server's message when refused. */
export async function signIn(token: string): Promise<void> {
  const response = await fetch("/console/session", {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", ...CSRF_HEADER },
    body: JSON.stringify({ token }),
  });
  const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!response.ok) throw new Error(body?.error?.message ?? `Sign-in failed (${response.status})`);
}

/** Ends the session on the server and clears its cookie. */
export async function signOut(): Promise<void> {
  await fetch("/console/session", { method: "DELETE", credentials: "same-origin", headers: CSRF_HEADER });
}
