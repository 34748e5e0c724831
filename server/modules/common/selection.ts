// What a field's selection asks for, read from the operation (fragments included): a resolver that
// loads a page can then load, in the same step, what the page's fields will ask for.
import type { FragmentDefinitionNode, GraphQLResolveInfo, SelectionSetNode } from "graphql";

/**
 * Whether the field's selection asks, at `path` below it (e.g. ["edges", "node"]), for any field
 * in `names`. Fields under a fragment (inline or named) count, whatever its type condition and
 * directives: asking more than is used is the safe side.
 */
export function selectionAsks(info: GraphQLResolveInfo, path: readonly string[], names: readonly string[]): boolean {
  return info.fieldNodes.some((node) => asks(node.selectionSet, path, names, info.fragments, new Set()));
}

function asks(
  set: SelectionSetNode | undefined,
  path: readonly string[],
  names: readonly string[],
  fragments: Record<string, FragmentDefinitionNode>,
  visited: Set<string>,
): boolean {
  if (!set) return false;
  for (const selection of set.selections) {
    if (selection.kind === "Field") {
      const name = selection.name.value;
      if (path.length === 0 ? names.includes(name) : name === path[0]) {
        if (path.length === 0 || asks(selection.selectionSet, path.slice(1), names, fragments, visited)) return true;
      }
    } else if (selection.kind === "InlineFragment") {
      if (asks(selection.selectionSet, path, names, fragments, visited)) return true;
    } else if (!visited.has(selection.name.value)) {
      visited.add(selection.name.value);
      if (asks(fragments[selection.name.value]?.selectionSet, path, names, fragments, visited)) return true;
    }
  }
  return false;
}
