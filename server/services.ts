// The services, each given exactly what it depends on. Nothing here knows about GraphQL or HTTP:
// the app (app.ts) and the server commands (commands/) both open the vault through this.
import { type Authenticator, authenticator } from "./auth/authenticate.ts";
import type { RateLimits } from "./auth/rate-limits.ts";
import type { UserKeyring } from "./crypto/user-keys.ts";
import type { Db, InsertRows, RawSql } from "./db/database.ts";
import type { VaultEvents } from "./events/events.ts";
import { type AgentService, agentService } from "./modules/agent/agent.service.ts";
import { type AttachmentService, attachmentService } from "./modules/attachment/attachment.service.ts";
import { type EntryService, entryService } from "./modules/entry/entry.service.ts";
import { type ImportService, importService } from "./modules/import/import.service.ts";
import { type KeyService, keyService } from "./modules/keys/keys.service.ts";
import { type NoticeService, noticeService } from "./modules/notice/notice.service.ts";
import { type ProviderService, providerService } from "./modules/provider/provider.service.ts";
import type { ProviderBaseUrls } from "./modules/provider/providers.ts";
import { type RuntimeService, runtimeService } from "./modules/runtime/runtime.service.ts";
import { type TokenService, tokenService } from "./modules/token/token.service.ts";
import { type UserService, userService } from "./modules/user/user.service.ts";

export type ServiceDeps = {
  db: Db;
  raw: RawSql;
  insertRows: InsertRows;
  keyring: UserKeyring;
  events: VaultEvents;
  rateLimits: RateLimits;
  providerBaseUrls: ProviderBaseUrls;
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
  const { db, raw, insertRows, keyring, events, rateLimits, providerBaseUrls } = deps;
  const entries = entryService({ db, raw, keyring, events, rateLimits });
  return {
    authenticate: authenticator({ raw, rateLimits }),
    attachments: attachmentService({ db, raw, events }),
    entries,
    agents: agentService({ db, events }),
    imports: importService({ db, keyring, events, insertRows }),
    providers: providerService({ db, keyring, events, entries, providerBaseUrls }),
    tokens: tokenService({ db, events }),
    runtime: runtimeService({ db, raw, keyring, events }),
    notices: noticeService({ db, events }),
    users: userService({ db, raw }),
    keys: keyService({ db, keyring }),
  };
}
