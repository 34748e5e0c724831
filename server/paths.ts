// Where the package's own files are (the Prisma schemas and migrations), whether this code runs
// from server/ or bundled in dist/server/: the nearest directory above with the vault's
// package.json.
import { readFileSync } from "node:fs";
import path from "node:path";

function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      if (JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).name === "agent-vault") return dir;
    } catch {}
    if (path.dirname(dir) === dir) throw new Error(`no agent-vault package.json above ${from}`);
  }
}

export const PACKAGE_ROOT = packageRoot(import.meta.dirname);
export const PRISMA_DIR = path.join(PACKAGE_ROOT, "prisma");
