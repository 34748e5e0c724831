import type { IncomingMessage } from "node:http";

// The client's address: the socket's, or behind proxies the operator runs, the address the
// outermost of them saw. Each proxy appends to X-Forwarded-For the address it received from, so
// the client's entry is counted from the right, after the trusted hops; entries further left
// are whatever the client sent, and never trusted.
export function clientAddress(
  trustedHops: number,
  forwardedFor: string | null | undefined,
  socketAddress: string | undefined,
): string {
  if (trustedHops > 0 && forwardedFor) {
    const chain = forwardedFor
      .split(",")
      .map((part) => part.trim())
      .filter(Boolean);
    const address = chain[chain.length - trustedHops];
    if (address) return address;
  }
  return socketAddress || "unknown";
}

/** The client's address of a request on Node's own server (the broker's, the environment's, WebSocket's). */
export function nodeClientAddress(trustedHops: number, request: IncomingMessage): string {
  return clientAddress(trustedHops, request.headers["x-forwarded-for"]?.toString(), request.socket.remoteAddress);
}
