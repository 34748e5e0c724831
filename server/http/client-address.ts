// The client's address: the socket's, or behind a trusted proxy the first X-Forwarded-For.
export function clientAddress(trustProxy: boolean, request: Request | undefined, socketAddress: string | undefined) {
  const forwarded = trustProxy ? request?.headers.get("x-forwarded-for")?.split(",")[0]?.trim() : undefined;
  return forwarded || socketAddress || "unknown";
}
