// The services, each given exactly what it depends on. Nothing here knows about GraphQL or HTTP:
// the app (app.ts) and the server commands (commands/) both open the vault through this.
import { type Authenticator, authenticator } from "./auth/authenticate.ts";
import type { RateLimits } from "./auth/rate-limits.ts";
import { streamGuard } from "./auth/stream-checks.ts";
import type { ActivityKeys } from "./crypto/activity-keys.ts";
import type { OAuthStateSealer } from "./crypto/oauth-state.ts";
import type { OpeningThread } from "./crypto/opening-thread.ts";
import type { RowBinder } from "./crypto/row-binding.ts";
import type { SealingThread } from "./crypto/sealing-thread.ts";
import type { TokenHasher } from "./crypto/token-hash.ts";
import type { UserKeyring } from "./crypto/user-keys.ts";
import type { Db, Sql } from "./db/database.ts";
import type { ChangeWatch } from "./db/postgres/change-watch.ts";
import type { UnitsOfWork } from "./db/unit-of-work.ts";
import type { VaultEvents } from "./events/events.ts";
import { type Feeds, feeds } from "./events/feeds.ts";
import { type ActivityService, activityService } from "./modules/activity/activity.service.ts";
import { type AgentService, agentService } from "./modules/agent/agent.service.ts";
import { type AutoRestarts, autoRestarts, withAutoRestarts } from "./modules/agent/auto-restart.ts";
import { type AttachmentService, attachmentService } from "./modules/attachment/attachment.service.ts";
import { type BrokerService, brokerService } from "./modules/broker/broker.service.ts";
import type { UpstreamSettings } from "./modules/broker/upstream.ts";
import { type EntryService, entryService } from "./modules/entry/entry.service.ts";
import { type ImportService, type ImportStaging, importService } from "./modules/import/import.service.ts";
import { type KeyService, keyService } from "./modules/keys/keys.service.ts";
import { type LeakService, leakService } from "./modules/leak/leak.service.ts";
import type { LeakPolicy } from "./modules/leak/leak-policy.ts";
import { type LimitService, limitService } from "./modules/limit/limit.service.ts";
import type { PriceTable } from "./modules/limit/prices.ts";
import { type NoticeService, noticeService } from "./modules/notice/notice.service.ts";
import type { OAuthIssuer } from "./modules/provider/oauth-issuer.ts";
import { type OAuthSignIn, oauthSignIn } from "./modules/provider/oauth-sign-in.ts";
import { type ProviderService, providerService } from "./modules/provider/provider.service.ts";
import type { ProviderBaseUrls } from "./modules/provider/providers.ts";
import { type RuntimeService, runtimeService } from "./modules/runtime/runtime.service.ts";
import { type SessionService, sessionService } from "./modules/session/session.service.ts";
import { type TokenService, tokenService } from "./modules/token/token.service.ts";
import { type UserService, userService } from "./modules/user/user.service.ts";

export type ServiceDeps = {
  /** Prisma's client, for the modules' data-access files. */
  db: Db;
  /** Plain SQL, for the modules' data-access files: rows as objects, and as arrays (hot reads). */
  sql: Sql;
  /** Every write: a transaction and what happens once it commits (db/unit-of-work.ts). */
  uow: UnitsOfWork;
  importStaging: ImportStaging;
  keyring: UserKeyring;
  /** Where large batches of values are sealed (an import's); inline without one. */
  sealing?: SealingThread;
  /** Where agents' environments are opened (many values at once); inline without one. */
  opening?: OpeningThread;
  hasher: TokenHasher;
  binder: RowBinder;
  /** The keys of the activity log's chains (from the token hash key). */
  chainKeys: ActivityKeys;
  events: VaultEvents;
  rateLimits: RateLimits;
  providerBaseUrls: ProviderBaseUrls;
  oauthIssuer: OAuthIssuer;
  /** Seals the state of the console's OAuth sign-ins (from the token hash key). */
  oauthStates: OAuthStateSealer;
  /** Where brokered values may go (AGENT_VAULT_ALLOW_PRIVATE_UPSTREAMS, the providers' upstreams). */
  upstreams: UpstreamSettings;
  /** Where agents reach the broker (AGENT_VAULT_PUBLIC_URL); otherwise where they reached the vault. */
  publicUrl?: string;
  /** What models' tokens cost (AGENT_VAULT_PRICES, or the shipped table). */
  prices: PriceTable;
  /** What the broker does with a request carrying an environment secret's value (AGENT_VAULT_LEAK_POLICY). */
  leakPolicy: LeakPolicy;
  /** The time limits' windows are read at, in milliseconds since 1970 (tests move it). */
  now?: () => number;
  /** Where limits' windows are counted: the database (PostgreSQL), or this one process (SQLite). */
  limitCounting?: "shared" | "in-process";
  /** PostgreSQL: how this instance hears changes to what placeholders open (db/postgres/change-watch.ts). */
  changes?: ChangeWatch;
  /** How often open streams re-check their token (default 30 s). */
  streamRecheckMs?: number;
  /** Versions kept of each entry, the current one included (AGENT_VAULT_VERSIONS_KEPT; default 50). */
  versionsKept?: number;
  /** Days the activity log keeps events (AGENT_VAULT_ACTIVITY_DAYS; default 365). */
  activityDays?: number;
  /** How long an ON_CHANGE agent's changes must settle before the vault restarts it. */
  restartSettleMs?: number;
  /** How long a console session lasts unused (default 12 hours). */
  sessionIdleMs?: number;
  /** How long an agent's values stay in memory for the leak tripwire after its last brokered request. */
  leakIdleMs?: number;
  /** Errors of work done after a response (batched activity events). */
  onBackgroundError?: (error: unknown) => void;
  /** The server's log: what it did differently than planned, and why. */
  warn?: (line: string) => void;
};

export type Services = {
  authenticate: Authenticator;
  /** What every subscription reads from. */
  feeds: Feeds;
  attachments: AttachmentService;
  entries: EntryService;
  agents: AgentService;
  imports: ImportService;
  providers: ProviderService;
  /** The console's OAuth sign-in for OpenAI (a Codex subscription). */
  oauthSignIn: OAuthSignIn;
  tokens: TokenService;
  runtime: RuntimeService;
  notices: NoticeService;
  users: UserService;
  keys: KeyService;
  activity: ActivityService;
  broker: BrokerService;
  leaks: LeakService;
  limits: LimitService;
  restarts: AutoRestarts;
  sessions: SessionService;
};

export function createServices(deps: ServiceDeps): Services {
  const {
    db,
    uow,
    sql,
    importStaging,
    keyring,
    hasher,
    binder,
    events: vaultEvents,
    rateLimits,
    providerBaseUrls,
    oauthIssuer,
    streamRecheckMs,
  } = deps;
  const authenticate = authenticator({ sql, rateLimits, hasher, binder, sessionIdleMs: deps.sessionIdleMs });
  // Every subscription reads from the users' feeds; open streams re-check their token on one timer.
  const userFeeds = feeds({ events: vaultEvents, guard: streamGuard(authenticate.streamValid, streamRecheckMs) });
  const activity = activityService({
    db,
    uow,
    chainKeys: deps.chainKeys,
    events: vaultEvents,
    sql,
    retentionDays: deps.activityDays,
    onError: deps.onBackgroundError,
    warn: deps.warn,
  });
  // Restart-needed notices say whether the agent restarts by itself, and ON_CHANGE agents do.
  const restarts = autoRestarts({
    sql,
    events: vaultEvents,
    activity,
    settleMs: deps.restartSettleMs,
    onError: deps.onBackgroundError,
  });
  const events = withAutoRestarts(vaultEvents, restarts);
  authenticate.onRefusedSignIn((refused) =>
    activity.recordAlone(
      {
        userId: refused.userId,
        keySalt: refused.keySalt,
        address: refused.address,
        actor: { kind: "API_TOKEN", id: refused.tokenId, name: refused.tokenName },
      },
      {
        action: "SIGN_IN_FAILED",
        details: {
          tokenId: refused.tokenId,
          tokenName: refused.tokenName,
          tokenPrefix: refused.tokenPrefix,
          reason: refused.reason,
        },
      },
    ),
  );
  const entries = entryService({
    db,
    uow,
    sql,
    keyring,
    binder,
    events,
    rateLimits,
    activity,
    versionsKept: deps.versionsKept,
    upstreams: deps.upstreams,
  });
  const limits = limitService({
    db,
    sql,
    uow,
    activity,
    prices: deps.prices,
    now: deps.now,
    retentionDays: deps.activityDays,
    onError: deps.onBackgroundError,
    counting: deps.limitCounting,
    changes: deps.changes,
  });
  const providers = providerService({
    db,
    uow,
    keyring,
    events,
    entries,
    activity,
    providerBaseUrls,
    oauthIssuer,
  });
  const leaks = leakService({ sql, keyring, activity, policy: deps.leakPolicy, idleMs: deps.leakIdleMs });
  return {
    authenticate,
    activity,
    restarts,
    limits,
    leaks,
    sessions: sessionService({ db, hasher, binder, authenticate }),
    attachments: attachmentService({ uow, sql, binder, events, activity }),
    entries,
    agents: agentService({ uow, binder, events, activity }),
    imports: importService({
      db,
      retentionDays: deps.activityDays,
      uow,
      keyring,
      rateLimits,
      events,
      staging: importStaging,
      sealing: deps.sealing,
      warn: deps.warn,
      activity,
      versions: entries.versions,
    }),
    providers,
    oauthSignIn: oauthSignIn({ issuer: oauthIssuer, states: deps.oauthStates, providers, publicUrl: deps.publicUrl }),
    tokens: tokenService({ db, uow, events, hasher, binder, activity }),
    runtime: runtimeService({
      uow,
      sql,
      keyring,
      events,
      hasher,
      binder,
      tokenValid: authenticate.runtimeTokenValid,
      recheckMs: streamRecheckMs,
      activity,
      upstreams: deps.upstreams,
      publicUrl: deps.publicUrl,
      opening: deps.opening,
    }),
    broker: brokerService({
      sql,
      keyring,
      hasher,
      binder,
      upstreams: deps.upstreams,
      activity,
      limits,
      leaks,
      changes: deps.changes,
      onError: deps.onBackgroundError ?? (() => {}),
    }),
    notices: noticeService({ db }),
    feeds: userFeeds,
    users: userService({ db, uow, sql, hasher, binder, activity }),
    keys: keyService({ db, sql, keyring, masterKeys: keyring.masterKeys }),
  };
}
