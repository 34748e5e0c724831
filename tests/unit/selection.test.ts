// What a field's selection asks for, fragments included: a page loads its entries' agents only
// when one of its nodes asks for them.
import { type FragmentDefinitionNode, type GraphQLResolveInfo, type OperationDefinitionNode, parse } from "graphql";
import { describe, expect, it } from "vitest";
import { selectionAsks } from "../../server/modules/common/selection.ts";

/** The resolve info of the operation's first root field, as graphql-js gives it (the parts read). */
function infoOf(document: string): GraphQLResolveInfo {
  const parsed = parse(document);
  const operation = parsed.definitions.find((d) => d.kind === "OperationDefinition") as OperationDefinitionNode;
  const fragments = Object.fromEntries(
    parsed.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === "FragmentDefinition")
      .map((d) => [d.name.value, d]),
  );
  const field = operation.selectionSet.selections[0];
  return { fieldNodes: [field], fragments } as unknown as GraphQLResolveInfo;
}

const USED_BY = ["usedBy", "usedByCount"];

describe("selectionAsks", () => {
  it("finds a field at a path", () => {
    expect(
      selectionAsks(infoOf("{ entries { edges { node { name usedBy { name } } } } }"), ["edges", "node"], USED_BY),
    ).toBe(true);
    expect(selectionAsks(infoOf("{ entries { totalCount } }"), [], ["totalCount"])).toBe(true);
  });

  it("does not find a field that is not asked, or asked elsewhere", () => {
    expect(selectionAsks(infoOf("{ entries { edges { node { name } } } }"), ["edges", "node"], USED_BY)).toBe(false);
    // At another depth it is another field.
    expect(selectionAsks(infoOf("{ entries { edges { usedBy: cursor } } }"), ["edges", "node"], USED_BY)).toBe(false);
    expect(selectionAsks(infoOf("{ entries { edges { node { name } } } }"), [], ["totalCount"])).toBe(false);
  });

  it("finds a field under inline fragments, named fragments and aliases", () => {
    const inline = "{ entries { edges { node { ... on Secret { usedByCount } } } } }";
    const named = `{ entries { ...Page } }
      fragment Page on EntryConnection { edges { node { ...Row } } }
      fragment Row on Entry { agents: usedBy { name } }`;
    expect(selectionAsks(infoOf(inline), ["edges", "node"], USED_BY)).toBe(true);
    expect(selectionAsks(infoOf(named), ["edges", "node"], USED_BY)).toBe(true);
    expect(selectionAsks(infoOf(named), [], ["totalCount"])).toBe(false);
  });

  it("ends on fragments that spread each other", () => {
    const looped = `{ entries { ...A } }
      fragment A on EntryConnection { ...B }
      fragment B on EntryConnection { ...A }`;
    expect(selectionAsks(infoOf(looped), [], ["totalCount"])).toBe(false);
  });
});
