/** The token with its last character changed: always changed, where a fixed replacement can equal it. */
export function mistyped(token: string): string {
  return `${token.slice(0, -1)}${token.endsWith("a") ? "b" : "a"}`;
}
