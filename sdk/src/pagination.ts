// Connections page by page, or every node of one as an async iterator.

export type Page<Node> = {
  edges: readonly { node: Node }[];
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
};

/** Every node of a connection, fetching one page at a time as the loop asks for more. */
export async function* allNodes<Node>(fetchPage: (after: string | null) => Promise<Page<Node>>): AsyncGenerator<Node> {
  let page = await fetchPage(null);
  for (;;) {
    // The next page is asked for before this one's nodes are handed out: the vault answers while
    // the loop works (a long list takes about half the time). A loop that stops early leaves that
    // one request unread.
    const after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    const next = after ? fetchPage(after) : null;
    next?.catch(() => {}); // awaited below
    for (const edge of page.edges) yield edge.node;
    if (!next) return;
    page = await next;
  }
}

/** Every node of an async iterator, collected into an array. */
export async function collect<Node>(nodes: AsyncIterable<Node>): Promise<Node[]> {
  const out: Node[] = [];
  for await (const node of nodes) out.push(node);
  return out;
}
