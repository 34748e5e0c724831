// The import planner alone: what an import would do with each name, for every policy and kind.
import { describe, expect, it } from "vitest";
import { type ExistingEntry, planImport } from "../../server/modules/import/import-plan.ts";

const entry = (name: string, value = "v", line = 1) => ({ name, value, line });
const existing = (...entries: [string, ExistingEntry["kind"]][]) =>
  new Map(entries.map(([name, kind]) => [name.toUpperCase(), { name, kind }]));

describe("planImport", () => {
  const file = [entry("NEW"), entry("same_var"), entry("CHANGED_VAR"), entry("A_SECRET"), entry("OTHER_KIND")];
  const vault = existing(
    ["SAME_VAR", "VARIABLE"],
    ["CHANGED_VAR", "VARIABLE"],
    ["A_SECRET", "SECRET"],
    ["OTHER_KIND", "SECRET"],
  );

  it("creates new names, keeps unchanged variables, and overwrites the rest under OVERWRITE", () => {
    const plan = planImport({
      entries: file,
      existing: vault,
      unchanged: new Set(["SAME_VAR"]),
      kind: "VARIABLE",
      onConflict: "OVERWRITE",
    });
    expect(plan.created).toEqual(["NEW"]);
    // Existing names are reported as they are stored, whatever the file's case.
    expect(plan.unchanged).toEqual(["SAME_VAR"]);
    expect(plan.updated).toEqual(["CHANGED_VAR"]);
    // A variable import never overwrites a secret: a conflict, and which one.
    expect(plan.conflicts).toEqual(["A_SECRET", "OTHER_KIND"]);
    expect(plan.otherKind).toEqual(["A_SECRET", "OTHER_KIND"]);
    expect(plan.toCreate.map((e) => e.name)).toEqual(["NEW"]);
    expect(plan.toUpdate.map((u) => u.entry.name)).toEqual(["CHANGED_VAR"]);
  });

  it("plans the lines named in variables as variables, the others as the file's kind", () => {
    const plan = planImport({
      entries: file,
      existing: vault,
      unchanged: new Set(["SAME_VAR"]),
      kind: "SECRET",
      variables: new Set(["SAME_VAR", "CHANGED_VAR"]),
      onConflict: "OVERWRITE",
    });
    expect(plan.unchanged).toEqual(["SAME_VAR"]);
    expect(plan.updated).toEqual(["CHANGED_VAR", "A_SECRET", "OTHER_KIND"]);
    expect(plan.conflicts).toEqual([]);
    // The same file with the secret's line marked a variable: a conflict of kinds, never a conversion.
    const marked = planImport({
      entries: file,
      existing: vault,
      unchanged: new Set(),
      kind: "SECRET",
      variables: new Set(["A_SECRET"]),
      onConflict: "OVERWRITE",
    });
    expect(marked.otherKind).toEqual(["SAME_VAR", "CHANGED_VAR", "A_SECRET"]);
  });

  it("says a secret is unchanged only when told so (the service compares within verifySecret's limits)", () => {
    const plan = (unchanged: string[]) =>
      planImport({
        entries: [entry("A_SECRET")],
        existing: vault,
        unchanged: new Set(unchanged),
        kind: "SECRET",
        onConflict: "OVERWRITE",
      });
    expect(plan([])).toMatchObject({ unchanged: [], updated: ["A_SECRET"] });
    expect(plan(["A_SECRET"])).toMatchObject({ unchanged: ["A_SECRET"], updated: [] });
  });

  it("skips every existing name under SKIP, of either kind", () => {
    const plan = planImport({
      entries: file,
      existing: vault,
      unchanged: new Set(),
      kind: "SECRET",
      onConflict: "SKIP",
    });
    expect(plan.created).toEqual(["NEW"]);
    expect(plan.skipped).toEqual(["SAME_VAR", "CHANGED_VAR", "A_SECRET", "OTHER_KIND"]);
    expect(plan.conflicts).toEqual([]);
    expect(plan.toUpdate).toEqual([]);
  });

  it("lists every existing name as a conflict under FAIL, and writes nothing", () => {
    const plan = planImport({
      entries: file,
      existing: vault,
      unchanged: new Set(),
      kind: "SECRET",
      onConflict: "FAIL",
    });
    expect(plan.conflicts).toEqual(["SAME_VAR", "CHANGED_VAR", "A_SECRET", "OTHER_KIND"]);
    expect(plan.otherKind).toEqual(["SAME_VAR", "CHANGED_VAR"]);
    expect(plan.toUpdate).toEqual([]);
  });

  it("keeps the file's order, and plans 10,000 names", () => {
    const many = Array.from({ length: 10_000 }, (_, i) => entry(`K_${i}`, String(i), i + 1));
    const half = existing(...many.filter((_, i) => i % 2 === 0).map((e): [string, "VARIABLE"] => [e.name, "VARIABLE"]));
    const plan = planImport({
      entries: many,
      existing: half,
      unchanged: new Set(),
      kind: "VARIABLE",
      onConflict: "OVERWRITE",
    });
    expect(plan.created).toHaveLength(5_000);
    expect(plan.updated).toHaveLength(5_000);
    expect(plan.created[0]).toBe("K_1");
    expect(plan.updated[0]).toBe("K_0");
  });
});
