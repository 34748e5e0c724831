// The web console: console/dist, built by Vite, served at / beside GraphiQL at /graphql. Hashed
// assets are cached for a year; the page itself never, and it runs under a Content-Security-Policy
// that allows the console's own script files and nothing inline.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Plugin } from "graphql-yoga";
import { PACKAGE_ROOT } from "../paths.ts";

export const CONSOLE_DIR = path.join(PACKAGE_ROOT, "console", "dist");

export const CONSOLE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  // Dialog primitives set element styles as they run (positions, scroll locks).
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".json": "application/json",
};

const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "content-security-policy": CONSOLE_POLICY,
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

type Files = { page: string | null; assets: Map<string, Uint8Array<ArrayBuffer>> };

function load(dir: string): Files {
  const assets = new Map<string, Uint8Array<ArrayBuffer>>();
  let page: string | null = null;
  try {
    page = readFileSync(path.join(dir, "index.html"), "utf8");
    for (const entry of readdirSync(path.join(dir, "assets"), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      assets.set(`/${path.relative(dir, file).split(path.sep).join("/")}`, new Uint8Array(readFileSync(file)));
    }
  } catch {}
  return { page, assets };
}

/** Paths the console's pages live at (the page answers them all; it routes in the browser). */
const PAGE = /^\/(?:$|agents(?:\/[^/]*)?$|activity$|tokens$|entries(?:\/[^/]*)?$|sign-in$|oauth\/openai\/callback$)/;

export function useConsoleFiles(dir = CONSOLE_DIR): Plugin {
  let files: Files | undefined;
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== "GET" && request.method !== "HEAD") return;
      const pathname = url.pathname;
      const isAsset = pathname.startsWith("/assets/");
      if (!isAsset && !PAGE.test(pathname)) return;
      files ??= load(dir);
      if (isAsset) {
        const body = files.assets.get(pathname);
        endResponse(
          body
            ? new fetchAPI.Response(request.method === "HEAD" ? null : body, {
                headers: {
                  "content-type": TYPES[path.extname(pathname)] ?? "application/octet-stream",
                  "cache-control": "public, max-age=31536000, immutable",
                  "x-content-type-options": "nosniff",
                },
              })
            : new fetchAPI.Response("Not found", { status: 404, headers: { "content-type": "text/plain" } }),
        );
        return;
      }
      const page =
        files.page ??
        "<!doctype html><title>Agent Vault</title><p>The console is not built: run <code>npm run build</code>. GraphiQL is at <a href=/graphql>/graphql</a>.";
      endResponse(new fetchAPI.Response(request.method === "HEAD" ? null : page, { headers: PAGE_HEADERS }));
    },
  };
}
