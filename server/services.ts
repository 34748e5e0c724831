// The services, each given exactly what it depends on. Nothing here knows about GraphQL or HTTP:
// the app (app.ts) and the server commands (commands/) both open the vault through this.
import { type Authenticator, authenticator } from "./auth/authenticate.ts";
import type { RateLimits } from "./auth/rate-limits.ts";
import type { RowBinder } from "./crypto/row-binding.ts";
import type { TokenHasher } from "./crypto/token-hash.ts";
import type { UserKeyring } from "./crypto/user-keys.ts";
import type { AppendRows, Db, InsertRow, InsertRows, RawRows, RawSql } from "./db/database.ts";
import type { VaultEvents } from "./events/events.ts";
import { type AgentService, agentService } from "./modules/agent/agent.service.ts";
import { type AttachmentService, attachmentService } from "./modules/attachment/attachment.service.ts";
import { type EntryService, entryService } from "./modules/entry/entry.service.ts";
import { type ImportService, type ImportStaging, importService } from "./modules/import/import.service.ts";
import { type KeyService, keyService } from "./modules/keys/keys.service.ts";
import { type NoticeService, noticeService } from "./modules/notice/notice.service.ts";
import type { OAuthIssuer } from "./modules/provider/oauth-issuer.ts";
import { type ProviderService, providerService } from "./modules/provider/provider.service.ts";
import type { ProviderBaseUrls } from "./modules/provider/providers.ts";
import { type RuntimeService, runtimeService } from "./modules/runtime/runtime.service.ts";
import { type TokenService, tokenService } from "./modules/token/token.service.ts";
import { type UserService, userService } from "./modules/user/user.service.ts";

export type ServiceDeps = {
  db: Db;
  raw: RawSql;
  rawRows: RawRows;
  insertRow: InsertRow;
  insertRows: InsertRows;
  appendRows: AppendRows;
  importStaging: ImportStaging;
  keyring: UserKeyring;
  hasher: TokenHasher;
  binder: RowBinder;
  events: VaultEvents;
  rateLimits: RateLimits;
  providerBaseUrls: ProviderBaseUrls;
  oauthIssuer: OAuthIssuer;
  /** How often open streams re-check their token (default 30 s). */
  streamRecheckMs?: number;
};

export type Services = {
  authenticate: Authenticator;
  attachments: AttachmentService;
  entries: EntryService;
  agents: AgentService;
  imports: ImportService;
  providers: ProviderService;
  tokens: TokenService;
  runtime: RuntimeService;
  notices: NoticeService;
  users: UserService;
  keys: KeyService;
};

export function createServices(deps: ServiceDeps): Services {
  const {
    db,
    raw,
    rawRows,
    insertRow,
    insertRows,
    appendRows,
    importStaging,
    keyring,
    hasher,
    binder,
    events,
    rateLimits,
    providerBaseUrls,
    oauthIssuer,
    streamRecheckMs,
  } = deps;
  const entries = entryService({ db, raw, rawRows, insertRow, keyring, binder, events, rateLimits });
  const authenticate = authenticator({ raw, rateLimits, hasher, binder });
  return {
    authenticate,
    attachments: attachmentService({ db, rawRows, binder, events }),
    entries,
    agents: agentService({ db, binder, events }),
    imports: importService({ db, keyring, events, insertRows, appendRows, staging: importStaging }),
    providers: providerService({ db, keyring, events, entries, providerBaseUrls, oauthIssuer }),
    tokens: tokenService({ db, events, hasher, binder }),
    runtime: runtimeService({
      db,
      rawRows,
      keyring,
      events,
      hasher,
      binder,
      tokenValid: authenticate.runtimeTokenValid,
      recheckMs: streamRecheckMs,
    }),
    notices: noticeService({ db, events, tokenValid: authenticate.apiTokenValid, recheckMs: streamRecheckMs }),
    users: userService({ db, raw, hasher, binder }),
    keys: keyService({ db, raw, keyring, masterKeys: keyring.masterKeys }),
  };
}
