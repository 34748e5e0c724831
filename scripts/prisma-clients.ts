// The Prisma clients (and Pothos's types) are build output: generated from the committed
// per-provider schemas, again only when a schema changed since the last generation.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export const root = path.resolve(import.meta.dirname, "..");
export const providers = ["sqlite", "postgresql"] as const;
export type Provider = (typeof providers)[number];

export function generatePrismaClients(options: { force?: boolean; quiet?: boolean } = {}): void {
  for (const provider of providers) {
    const schemaPath = path.join(root, "prisma", provider, "schema.prisma");
    const stampPath = path.join(root, "prisma", provider, "client", ".schema-sha256");
    const digest = createHash("sha256").update(readFileSync(schemaPath)).digest("hex");
    if (!options.force && existsSync(stampPath) && readFileSync(stampPath, "utf8") === digest) continue;
    execFileSync(path.join(root, "node_modules/.bin/prisma"), ["generate", "--schema", schemaPath], {
      cwd: root,
      stdio: ["ignore", options.quiet ? "ignore" : "inherit", "inherit"],
    });
    writeFileSync(stampPath, digest);
  }
}
