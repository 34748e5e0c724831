// A broker request's target: /broker/<secret id>/<path below the upstream's base path>?<query>.
// The path may not climb above the base path: no "." or ".." segment, raw or percent-encoded, and
// no encoded slash or backslash that an upstream could read as one.

export type BrokerRoute = { id: string; rest: string; query: string } | { problem: string };

const PREFIX = "/broker/";

export function brokerPath(url: string): BrokerRoute {
  if (!url.startsWith(PREFIX)) return { problem: "Broker requests are made to /broker/<secret id>/<path>" };
  const queryAt = url.indexOf("?");
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const query = queryAt === -1 ? "" : url.slice(queryAt);
  const afterPrefix = path.slice(PREFIX.length);
  const slash = afterPrefix.indexOf("/");
  const id = slash === -1 ? afterPrefix : afterPrefix.slice(0, slash);
  const rest = slash === -1 ? "" : afterPrefix.slice(slash);
  if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) return { problem: "The broker's path starts with a secret's id" };
  if (rest.includes("\\")) return { problem: "A broker path has no backslash" };
  for (const segment of rest.split("/").slice(1)) {
    if (/%(2f|5c)/i.test(segment)) return { problem: "A broker path has no encoded slash or backslash" };
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return { problem: "A broker path is percent-encoded UTF-8" };
    }
    if (decoded === "." || decoded === "..") return { problem: "A broker path stays below the upstream's base path" };
    if (/[\0\r\n]/.test(decoded)) return { problem: "A broker path has no control characters" };
  }
  return { id, rest, query };
}
