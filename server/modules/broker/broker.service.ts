// The broker's rules: which placeholder opens which secret, for where. A placeholder works only
// for its own secret, while its runtime token, its attachment and the secret's brokering last
// (each a row read on every request, so that an end holds at once on every instance).
import type { RowBinder } from "../../crypto/row-binding.ts";
import type { TokenHasher } from "../../crypto/token-hash.ts";
import { isPlaceholder } from "../../crypto/tokens.ts";
import type { UserKeyring } from "../../crypto/user-keys.ts";
import type { Sql } from "../../db/database.ts";
import type { ActivityService } from "../activity/activity.service.ts";
import { openNamedValue } from "../entry/entry-value.ts";
import { placeholderGrant } from "./broker.dal.ts";
import { type BrokeredRequest, brokerUsage } from "./broker-usage.ts";
import { resolveUpstream, type Upstream, type UpstreamSettings } from "./upstream.ts";

/** What a valid placeholder opens: the value, where it may go, and whose it is. */
export type Opened = {
  value: string;
  upstream: Upstream;
  userId: string;
  keySalt: Uint8Array;
  agent: { id: string; name: string };
  entry: { id: string; name: string };
  runtimeTokenId: string;
};

export type BrokerService = ReturnType<typeof brokerService>;

export function brokerService(deps: {
  sql: Sql;
  keyring: UserKeyring;
  hasher: TokenHasher;
  binder: RowBinder;
  upstreams: UpstreamSettings;
  activity: ActivityService;
  onError: (error: unknown) => void;
}) {
  const { sql, keyring, hasher, binder, upstreams } = deps;
  const usage = brokerUsage({ activity: deps.activity, onError: deps.onError });
  return {
    upstreams,

    /**
     * The secret a placeholder opens at `/broker/<entryId>`, or null when it opens nothing there.
     * A value that fails its integrity check (its row was changed: another upstream, say) is a
     * ValueUnreadableError.
     */
    async open(entryId: string, placeholder: string): Promise<Opened | null> {
      if (!isPlaceholder(placeholder)) return null;
      const tokenHash = hasher.hash(placeholder);
      const grant = await placeholderGrant(sql, tokenHash);
      if (!grant || grant.entryId !== entryId || !grant.upstream) return null;
      if (!binder.verifyPlaceholder({ ...grant, tokenHash }, grant.binding)) return null;
      const owner = { userId: grant.userId, keySalt: grant.keySalt };
      const value = openNamedValue(keyring, owner, {
        id: grant.entryId,
        name: grant.name,
        kind: "SECRET",
        ciphertext: grant.ciphertext,
        upstream: grant.upstream,
      });
      return {
        value,
        upstream: resolveUpstream(grant.upstream, upstreams),
        ...owner,
        agent: { id: grant.agentId, name: grant.agentName },
        entry: { id: grant.entryId, name: grant.name },
        runtimeTokenId: grant.runtimeTokenId,
      };
    },

    /** Counts a forwarded request in the activity log (per agent, secret and minute). */
    record: (request: BrokeredRequest) => usage.count(request),
    flush: usage.flush,
  };
}
