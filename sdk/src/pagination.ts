// Connections page by page, or every node of one as an async iterator.

export type Page<Node> = {
  edges: readonly { node: Node }[];
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
};

/** Every node of a connection, fetching one page at a time as the loop asks for more. */
export async function* allNodes<Node>(fetchPage: (after: string | null) => Promise<Page<Node>>): AsyncGenerator<Node> {
  let after: string | null = null;
  for (;;) {
    const page = await fetchPage(after);
    for (const edge of page.edges) yield edge.node;
    if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return;
    after = page.pageInfo.endCursor;
  }
}

/** Every node of an async iterator, collected into an array. */
export async function collect<Node>(nodes: AsyncIterable<Node>): Promise<Node[]> {
  const out: Node[] = [];
  for await (const node of nodes) out.push(node);
  return out;
}
