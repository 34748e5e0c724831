// GraphiQL, served by the vault itself: its scripts and styles are inline in the page (no CDN, so
// it works without internet access and no third party's script runs where users paste tokens),
// under a Content-Security-Policy that allows exactly that page's script. The 9 MB page module
// loads on the first GraphiQL request, not at start.
import { createHash } from "node:crypto";
import type { GraphiQLOptions, Plugin } from "graphql-yoga";

type Rendered = { html: string; policy: string };

function policyFor(html: string): string {
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    (match) =>
      `'sha256-${createHash("sha256")
        .update(match[1] as string)
        .digest("base64")}'`,
  );
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

export function graphiql() {
  let rendered: Promise<Rendered> | undefined;
  let policy: string | undefined;
  return {
    /** For yoga's renderGraphiQL: the page, rendered once. */
    render(options: GraphiQLOptions): Promise<string> {
      rendered ??= import("@graphql-yoga/render-graphiql").then(({ renderGraphiQL }) => {
        const html = renderGraphiQL(options);
        policy = policyFor(html);
        return { html, policy };
      });
      return rendered.then((page) => page.html);
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
