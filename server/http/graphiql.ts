// GraphiQL, served by the vault itself: its scripts and styles are inline in the page (no CDN, so
// it works without internet access and no third party's script runs where users paste tokens),
// under a Content-Security-Policy that allows exactly that page's script. The 9 MB page module
// loads on the first GraphiQL request, not at start.
import { createHash } from "node:crypto";
import type { GraphiQLOptions, Plugin } from "graphql-yoga";
import { CSRF_HEADERS } from "../modules/session/session-cookie.ts";

const scriptHashes = (html: string) =>
  [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    (match) =>
      `'sha256-${createHash("sha256")
        .update(match[1] as string)
        .digest("base64")}'`,
  );

function policyFor(scripts: string[]): string {
  return [
    "default-src 'none'",
    `script-src ${scripts.join(" ")}`,
    // The editor adds styles as it runs, and its language services run in workers from blobs.
    "style-src 'unsafe-inline'",
    "worker-src blob:",
    "connect-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

const WELCOME = (signedIn: boolean) => `# Agent Vault's API: your secrets, variables, agents and tokens.
#
# ${
  signedIn
    ? "Signed in through the console: these requests use its session (no token to paste)."
    : "Paste an API token (avt_...) into the Headers tab below, or sign in to the console at / first."
}
# Secret values are never returned; a variable's value is. The Docs pane lists every field
# and the scope it requires.

query {
  viewer { name }
  entries(first: 10) {
    totalCount
    edges { node { name kind version usedByCount ... on Variable { value } } }
  }
  agents(first: 10) { edges { node { name restartRequired } } }
}
`;

/** GraphiQL's options: with a console session, its requests carry the cookie and the CSRF header. */
export function graphiqlOptions(signedIn: boolean): GraphiQLOptions {
  return {
    title: "Agent Vault",
    defaultQuery: WELCOME(signedIn),
    headers: signedIn ? "{}" : JSON.stringify({ Authorization: "Bearer <paste your API token here>" }, null, 2),
    credentials: "same-origin",
    // Cookie requests need it (bearer ones ignore it); only this origin's pages can send it.
    additionalHeaders: { [CSRF_HEADERS[0]]: "1" },
  };
}

export function graphiql() {
  const rendered = new Map<string, Promise<string>>();
  // Both pages' scripts: the policy is set on a response without knowing which page it carries.
  const scripts = new Set<string>();
  let policy: string | undefined;
  return {
    /** For yoga's renderGraphiQL: each page (signed in or not) rendered once. */
    render(options: GraphiQLOptions): Promise<string> {
      const key = JSON.stringify(options);
      let page = rendered.get(key);
      if (!page) {
        page = import("@graphql-yoga/render-graphiql").then(({ renderGraphiQL }) => {
          const html = renderGraphiQL(options);
          for (const hash of scriptHashes(html)) scripts.add(hash);
          policy = policyFor([...scripts]);
          return html;
        });
        rendered.set(key, page);
      }
      return page;
    },

    /** The page's Content-Security-Policy, and no caching of it. */
    plugin(): Plugin {
      return {
        onResponse({ response }) {
          if (!policy || !response.headers.get("content-type")?.startsWith("text/html")) return;
          response.headers.set("content-security-policy", policy);
          response.headers.set("x-content-type-options", "nosniff");
          response.headers.set("referrer-policy", "no-referrer");
          response.headers.set("cache-control", "no-store");
        },
      };
    },
  };
}
