// The CLI's JSON written a piece at a time (a long list as its pages come) is the same text as
// printJson's of the whole list.
import { describe, expect, it } from "vitest";
import { printJsonItems } from "../../cli/src/output.ts";

async function written(items: unknown[]): Promise<string> {
  let out = "";
  const stdout = process.stdout as unknown as { write: (chunk: string) => boolean };
  const write = stdout.write;
  stdout.write = (chunk: string) => {
    out += chunk;
    return true;
  };
  try {
    await printJsonItems(
      (async function* () {
        yield* items;
      })(),
    );
  } finally {
    stdout.write = write;
  }
  return out;
}

describe("printJsonItems", () => {
  it.each([
    ["no items", []],
    ["one nested item", [{ name: "A", usedBy: [{ id: "1", name: "bot" }], value: "line\nbreak", none: null }]],
    ["several of every kind", [{ a: 1 }, { b: { c: [] } }, "text", 3, [1, [2]]]],
  ])("writes %s exactly as JSON.stringify(items, null, 2)", async (_label, items) => {
    expect(await written(items)).toBe(`${JSON.stringify(items, null, 2)}\n`);
  });
});
