// The broker's rules: which placeholder opens which secret, for where. A placeholder works only
// for its own secret, while its runtime token, its attachment and the secret's brokering last.
// What it opens is read from the database on every request, or (PostgreSQL) kept by an instance
// only while it hears every change to it: a write that ends a placeholder answers once every
// instance heard it (db/postgres/change-watch.ts), so an end holds at once on every instance.
import type { RowBinder } from "../../crypto/row-binding.ts";
import type { TokenHasher } from "../../crypto/token-hash.ts";
import { isPlaceholder } from "../../crypto/tokens.ts";
import type { UserKeyring } from "../../crypto/user-keys.ts";
import type { Sql } from "../../db/database.ts";
import type { ChangeWatch } from "../../db/postgres/change-watch.ts";
import type { ActivityService } from "../activity/activity.service.ts";
import { openNamedValue } from "../entry/entry-value.ts";
import type { LeakService } from "../leak/leak.service.ts";
import type { AppliedLimit } from "../limit/limit.dal.ts";
import type { LimitedRequest, LimitService } from "../limit/limit.service.ts";
import type { Provider } from "../provider/providers.ts";
import { type PlaceholderGrant, placeholderGrant } from "./broker.dal.ts";
import { type BrokeredRequest, brokerUsage } from "./broker-usage.ts";
import { resolveUpstream, type Upstream, type UpstreamSettings } from "./upstream.ts";

/** What a valid placeholder opens: the value, where it may go, and whose it is. */
export type Opened = {
  value: string;
  upstream: Upstream & { provider: Provider | null };
  userId: string;
  keySalt: Uint8Array;
  agent: { id: string; name: string };
  entry: { id: string; name: string };
  runtimeTokenId: string;
  /** The environment the agent runs with (its fingerprint): what the leak tripwire looks for follows it. */
  runningEnv: string | null;
  /** The limits these requests are measured against. */
  limits: AppliedLimit[];
};

export type BrokerService = ReturnType<typeof brokerService>;

const CACHED = 10_000;

/** A Map that forgets its oldest entry beyond `limit`. */
class BoundedMap<K, V> extends Map<K, V> {
  constructor(readonly limit: number) {
    super();
  }
  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.limit) this.delete(this.keys().next().value as K);
    return super.set(key, value);
  }
}

export function brokerService(deps: {
  sql: Sql;
  keyring: UserKeyring;
  hasher: TokenHasher;
  binder: RowBinder;
  upstreams: UpstreamSettings;
  activity: ActivityService;
  limits: LimitService;
  leaks: LeakService;
  /** PostgreSQL: what tells this instance whether it heard every change (then grants read are kept). */
  changes?: ChangeWatch;
  onError: (error: unknown) => void;
}) {
  const { sql, keyring, hasher, binder, upstreams, changes } = deps;
  const usage = brokerUsage({ activity: deps.activity, onError: deps.onError });
  // What does not change between requests is kept: a placeholder's keyed hash, and a value opened
  // from the same ciphertext for the same upstream (a new value or upstream is a new ciphertext).
  const hashes = new BoundedMap<string, string>(CACHED);
  const opened = new BoundedMap<string, { ciphertext: Buffer; upstream: string; value: string }>(CACHED);
  // Grants read while this instance heard every change, and as long as it heard none since.
  const grants = new BoundedMap<string, PlaceholderGrant>(CACHED);
  let grantsHeard = -1;

  async function grantOf(tokenHash: string): Promise<PlaceholderGrant | undefined> {
    if (!changes) return placeholderGrant(sql, tokenHash);
    const heard = changes.heard;
    const trusted = changes.hearsAll();
    if (heard !== grantsHeard) {
      grants.clear();
      grantsHeard = heard;
    }
    const kept = trusted ? grants.get(tokenHash) : undefined;
    if (kept) return kept;
    const grant = await placeholderGrant(sql, tokenHash);
    // Kept only when nothing was heard while it was read (it may be older than that change). A
    // placeholder that opens nothing is not kept: a new one is an insert, which no one hears.
    if (grant && trusted && changes.heard === heard && grantsHeard === heard) grants.set(tokenHash, grant);
    return grant;
  }

  function hashOf(placeholder: string): string {
    let hash = hashes.get(placeholder);
    if (hash === undefined) {
      hash = hasher.hash(placeholder);
      hashes.set(placeholder, hash);
    }
    return hash;
  }

  function valueIn(grant: PlaceholderGrant & { upstream: string }): string {
    const known = opened.get(grant.entryId);
    if (known && known.upstream === grant.upstream && known.ciphertext.equals(grant.ciphertext)) {
      return known.value;
    }
    const value = openNamedValue(
      keyring,
      { userId: grant.userId, keySalt: grant.keySalt },
      { id: grant.entryId, name: grant.name, kind: "SECRET", ciphertext: grant.ciphertext, upstream: grant.upstream },
    );
    opened.set(grant.entryId, { ciphertext: Buffer.from(grant.ciphertext), upstream: grant.upstream, value });
    return value;
  }

  return {
    upstreams,

    /**
     * The secret a placeholder opens at `/broker/<entryId>`, or null when it opens nothing there.
     * A value that fails its integrity check (its row was changed: another upstream, say) is a
     * ValueUnreadableError.
     */
    async open(entryId: string, placeholder: string): Promise<Opened | null> {
      if (!isPlaceholder(placeholder)) return null;
      const tokenHash = hashOf(placeholder);
      const grant = await grantOf(tokenHash);
      if (!grant || grant.entryId !== entryId || !grant.upstream) return null;
      // A value that fails its integrity check is a ValueUnreadableError.
      if (!binder.verifyPlaceholder({ ...grant, tokenHash }, grant.binding)) return null;
      const value = valueIn({ ...grant, upstream: grant.upstream });
      return {
        value,
        upstream: resolveUpstream(grant.upstream, upstreams),
        userId: grant.userId,
        keySalt: grant.keySalt,
        agent: { id: grant.agentId, name: grant.agentName },
        entry: { id: grant.entryId, name: grant.name },
        runtimeTokenId: grant.runtimeTokenId,
        runningEnv: grant.runningEnv,
        limits: grant.limits,
      };
    },

    limits: deps.limits,
    leaks: deps.leaks,

    /** Who a request is, for its limits and usage: the agent, by its runtime token. */
    limitedRequest: (opened: Opened, address: string | null): LimitedRequest => ({
      doer: {
        userId: opened.userId,
        keySalt: opened.keySalt,
        address,
        actor: { kind: "RUNTIME_TOKEN", id: opened.agent.id, name: opened.agent.name, tokenId: opened.runtimeTokenId },
      },
      agent: opened.agent,
      entry: opened.entry,
      provider: opened.upstream.provider,
    }),

    /** Counts a forwarded request in the activity log (per agent, secret and minute). */
    record: (request: BrokeredRequest) => usage.count(request),
    flush: usage.flush,
  };
}
