// The layout's rules, read from the sources: no import cycle in server/ (type imports included),
// the SDK, the CLI and the console never import the server, SQL stays in server/db/ and the
// modules' data-access files, and nothing refers to a file outside the repository.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === "node_modules" || name === "dist" || name === "generated") return [];
    if (statSync(full).isDirectory()) return sources(full);
    return /\.(ts|tsx)$/.test(name) ? [full] : [];
  });
}

/** Every relative module a file imports, resolved: static, dynamic, type-only and re-exports. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [
    ...text.matchAll(/(?:import|export)\s[^"';]*?from\s*"([^"]+)"/g),
    ...text.matchAll(/import\s*\(\s*"([^"]+)"\s*\)/g),
    ...text.matchAll(/^import\s+"([^"]+)"/gm),
  ].map((match) => match[1] as string);
  return specifiers.filter((s) => s.startsWith(".")).map((s) => path.resolve(path.dirname(file), s));
}

function cycles(files: string[]): string[][] {
  const graph = new Map(files.map((file) => [file, importsOf(file).filter((target) => files.includes(target))]));
  const found: string[][] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, "visiting");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "visiting") found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return found.map((cycle) => cycle.map((file) => path.relative(root, file)));
}

describe("the layout", () => {
  it("has no import cycle in server/", () => {
    const files = sources(path.join(root, "server"));
    expect(files.length).toBeGreaterThan(40);
    expect(cycles(files)).toEqual([]);
  });

  it("finds a cycle when there is one", () => {
    // The detector itself: tests/api/fixtures/cycle holds a.ts -> b.ts -> a.ts.
    const fixture = sources(path.join(root, "tests/api/fixtures/cycle"));
    expect(cycles(fixture).map((cycle) => cycle.map((file) => path.basename(file)))).toEqual([
      ["a.ts", "b.ts", "a.ts"],
    ]);
  });

  it("keeps the SDK, the CLI and the console away from the server", () => {
    const clients = ["sdk/src", "cli/src", "console/src"].flatMap((dir) => sources(path.join(root, dir)));
    const server = path.join(root, "server");
    const reaching = clients.flatMap((file) =>
      importsOf(file)
        .filter((target) => target.startsWith(server))
        .map((target) => `${path.relative(root, file)} -> ${path.relative(root, target)}`),
    );
    expect(reaching).toEqual([]);
  });

  it("refers to no file outside the repository: the project explains itself (docs/architecture.md)", () => {
    const files = ["server", "sdk/src", "cli/src", "console/src", "tests", "scripts", "bench", "docs"].flatMap((dir) =>
      sources(path.join(root, dir)),
    );
    const texts = [...files, path.join(root, "README.md"), path.join(root, "SECURITY.md")];
    const outside = texts.filter(
      (file) => /\bDESIGN\.md\b/.test(readFileSync(file, "utf8")) && !file.endsWith("layout.test.ts"),
    );
    expect(outside.map((file) => path.relative(root, file))).toEqual([]);
    expect(existsSync(path.join(root, "docs/architecture.md"))).toBe(true);
  });

  it("keeps SQL in server/db/ and in each module's data-access file (*.dal.ts)", () => {
    const files = sources(path.join(root, "server")).filter(
      (file) => !file.includes(`${path.sep}db${path.sep}`) && !file.endsWith(".dal.ts"),
    );
    const sql = /["'`][^"'`]*\b(SELECT\s|INSERT INTO|UPDATE "|DELETE FROM|CREATE TABLE)|\$(executeRaw|queryRaw)/;
    const outside = files.filter((file) => {
      // Comments may speak of statements; code may not hold them.
      const code = readFileSync(file, "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/^\s*\/\/.*$/gm, "");
      return sql.test(code);
    });
    expect(outside.map((file) => path.relative(root, file))).toEqual([]);
    // The check itself: a statement in a string is found.
    expect(sql.test('const q = `SELECT "id" FROM "Entry"`;')).toBe(true);
  });

  it("keeps every Prisma statement in the data-access file of the module that owns the table", () => {
    const models =
      "entry|agent|attachment|apiToken|runtimeToken|consoleSession|providerConnection|entryVersion|activityEvent|activityChain|user|importStage|importRecord|importChange|vaultMeta";
    const statement = new RegExp(`\\.(${models})\\.(find|create|update|delete|upsert|count|aggregate|groupBy)`);
    const outside = sources(path.join(root, "server"))
      .filter((file) => !file.endsWith(".dal.ts") && !file.includes(`${path.sep}db${path.sep}`))
      .filter((file) => statement.test(readFileSync(file, "utf8")));
    expect(outside.map((file) => path.relative(root, file))).toEqual([]);
    expect(statement.test("await tx.entry.findMany({})")).toBe(true);
  });
});
