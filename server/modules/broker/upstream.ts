// Where a brokered secret may go: an origin and base path, the header that carries the value and
// how (`template`), and the variable that tells the agent the broker's address for it. A provider's
// key stores only its provider: where that goes is the operator's setting, read when a request is
// forwarded. What is stored is bound into the value's associated data (entry-value.ts).
import { isIP } from "node:net";
import { ValidationError } from "../common/errors.ts";
import { reservedReason } from "../entry/reserved-names.ts";
import type { Provider } from "../provider/providers.ts";

export type Upstream = { baseUrl: string; header: string; template: string; baseUrlVariable: string | null };
export type UpstreamInput = {
  baseUrl: string;
  header?: string | null;
  template?: string | null;
  baseUrlVariable?: string | null;
};

/** What the operator lets upstreams be, and where providers' keys go. */
export type UpstreamSettings = {
  /** AGENT_VAULT_ALLOW_PRIVATE_UPSTREAMS: http, and loopback, private or link-local addresses. */
  allowPrivate: boolean;
  providers: Record<Provider, Upstream>;
};

const PROVIDER_UPSTREAMS: Record<Provider, Upstream & { setting: string }> = {
  ANTHROPIC: {
    baseUrl: "https://api.anthropic.com",
    header: "x-api-key",
    template: "{value}",
    baseUrlVariable: "ANTHROPIC_BASE_URL",
    setting: "AGENT_VAULT_ANTHROPIC_URL",
  },
  OPENAI: {
    baseUrl: "https://api.openai.com/v1",
    header: "authorization",
    template: "Bearer {value}",
    baseUrlVariable: "OPENAI_BASE_URL",
    setting: "AGENT_VAULT_OPENAI_URL",
  },
  OPENROUTER: {
    baseUrl: "https://openrouter.ai/api/v1",
    header: "authorization",
    template: "Bearer {value}",
    baseUrlVariable: "OPENROUTER_BASE_URL",
    setting: "AGENT_VAULT_OPENROUTER_URL",
  },
};

/** The operator's upstream settings, from the environment. */
export function upstreamSettings(env: Record<string, string | undefined> = process.env): UpstreamSettings {
  const providers = {} as Record<Provider, Upstream>;
  for (const [provider, { setting, ...upstream }] of Object.entries(PROVIDER_UPSTREAMS)) {
    const baseUrl = env[setting] ? trimSlashes(env[setting]) : upstream.baseUrl;
    providers[provider as Provider] = { ...upstream, baseUrl };
  }
  return { allowPrivate: env.AGENT_VAULT_ALLOW_PRIVATE_UPSTREAMS === "true", providers };
}

const trimSlashes = (url: string) => url.replace(/\/+$/, "");

/** What a provider's brokered key stores as its upstream. */
export const providerUpstream = (provider: Provider): string => JSON.stringify({ provider });

// Parsed once per stored form: the broker resolves an upstream on every request.
const parsedUpstreams = new Map<string, { provider?: Provider } & Upstream>();

/** The upstream a stored one stands for now (a provider's, as the operator set it). */
export function resolveUpstream(stored: string, settings: UpstreamSettings): Upstream & { provider: Provider | null } {
  let parsed = parsedUpstreams.get(stored);
  if (!parsed) {
    parsed = JSON.parse(stored) as { provider?: Provider } & Upstream;
    if (parsedUpstreams.size >= 10_000) parsedUpstreams.clear();
    parsedUpstreams.set(stored, parsed);
  }
  if (parsed.provider) return { ...settings.providers[parsed.provider], provider: parsed.provider };
  return {
    baseUrl: parsed.baseUrl,
    header: parsed.header,
    template: parsed.template,
    baseUrlVariable: parsed.baseUrlVariable,
    provider: null,
  };
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Headers the broker sets itself, or that say where a request goes: never a value's carrier.
const NOT_A_CARRIER = new Set([
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "te",
  "upgrade",
  "keep-alive",
  "proxy-authorization",
  "proxy-connection",
  "trailer",
  "cookie",
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
]);

/** A new upstream as it is stored (JSON, keys in one order), or a ValidationError on `upstream.*`. */
export function storedUpstream(input: UpstreamInput, settings: Pick<UpstreamSettings, "allowPrivate">): string {
  const baseUrl = checkBaseUrl(input.baseUrl, settings.allowPrivate);
  const header = (input.header ?? "authorization").trim().toLowerCase();
  if (!HEADER_NAME.test(header) || NOT_A_CARRIER.has(header)) {
    throw new ValidationError(`${JSON.stringify(header)} cannot carry a brokered value`, "upstream.header");
  }
  const template = input.template ?? "{value}";
  if (template.split("{value}").length !== 2) {
    throw new ValidationError('The template holds "{value}" exactly once, e.g. "Bearer {value}"', "upstream.template");
  }
  if (/[\r\n\0]/.test(template)) throw new ValidationError("The template is one line", "upstream.template");
  const baseUrlVariable = input.baseUrlVariable?.trim() || null;
  if (baseUrlVariable !== null) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(baseUrlVariable) || baseUrlVariable.length > 128) {
      throw new ValidationError(
        "The base URL variable is a name: letters, digits and underscores",
        "upstream.baseUrlVariable",
      );
    }
    const reserved = reservedReason(baseUrlVariable.toUpperCase());
    if (reserved) throw new ValidationError(reserved, "upstream.baseUrlVariable");
  }
  return JSON.stringify({ baseUrl, header, template, baseUrlVariable });
}

/** An upstream's base URL as stored: https (or http when allowed), no credentials, query or fragment. */
function checkBaseUrl(text: string, allowPrivate: boolean): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new ValidationError("The upstream URL is not a URL (e.g. https://api.example.com/v1)", "upstream.baseUrl");
  }
  if (url.protocol !== "https:" && !(allowPrivate && url.protocol === "http:")) {
    throw new ValidationError(
      "An upstream is https (the operator may allow http with AGENT_VAULT_ALLOW_PRIVATE_UPSTREAMS=true)",
      "upstream.baseUrl",
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new ValidationError(
      "An upstream URL holds no credentials, query or fragment: only an origin and a base path",
      "upstream.baseUrl",
    );
  }
  if (!allowPrivate && privateHost(url.hostname)) {
    throw new ValidationError(
      "An upstream is a public host: not loopback, private, link-local or a metadata address (the operator may allow them with AGENT_VAULT_ALLOW_PRIVATE_UPSTREAMS=true)",
      "upstream.baseUrl",
    );
  }
  return trimSlashes(`${url.origin}${url.pathname}`);
}

/** Whether a host name or address is one an upstream may not be (before any DNS: names it can tell). */
export function privateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (isIP(host)) return privateAddress(host);
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host.endsWith(".local") ||
    host.endsWith(".internal") ||
    host === "metadata.google.internal"
  );
}

/** Whether an IP address is loopback, private, link-local, unspecified, CGNAT or a metadata address. */
export function privateAddress(address: string): boolean {
  const ip = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) return privateAddress(mapped[1] as string);
  if (isIP(ip) === 4) {
    const [a, b] = ip.split(".").map(Number) as [number, number];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 198 && (b === 18 || b === 19)) ||
      a >= 224
    );
  }
  if (isIP(ip) === 6) {
    return (
      ip === "::" ||
      ip === "::1" ||
      ip.startsWith("fc") ||
      ip.startsWith("fd") ||
      /^fe[89ab]/.test(ip) ||
      ip.startsWith("ff") ||
      ip.startsWith("64:ff9b:") ||
      ip === "fd00:ec2::254"
    );
  }
  return true;
}
