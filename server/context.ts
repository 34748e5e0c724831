// The GraphQL context: who is asking (authenticated by services.authenticate, the one path for
// every transport), the database for the Prisma plugin's selections, the services, and the
// request's batching loaders.
import type { Viewer } from "./auth/viewer.ts";
import type { Db } from "./db/database.ts";
import type { AttachmentService } from "./modules/attachment/attachment.service.ts";
import type { LimitService } from "./modules/limit/limit.service.ts";
import type { Services } from "./services.ts";

export type Loaders = {
  usedBy: ReturnType<AttachmentService["usedByLoader"]>;
  spentToday: ReturnType<LimitService["spentTodayLoader"]>;
};
export type Context = {
  viewer: Viewer;
  /**
   * The token read for this request (once): the viewer, confirmed. A viewer `unconfirmed` is
   * confirmed by the operation's write, or by this before the answer goes.
   */
  confirmViewer: () => Promise<Viewer>;
  db: Db;
  services: Services;
  loaders: Loaders;
  /** Objects a mutation of this request returned: their own fields are readable (auth/result-scopes.ts). */
  written: WeakSet<object>;
  /** Variables whose value this request supplied: readable in the result without ENTRIES_READ. */
  suppliedValues: WeakSet<object>;
  /** The HTTP request (yoga gives it; none over WebSocket). */
  request?: Request;
};

/** The address the client reached the vault at: its Origin header (a browser's), else the request's own. */
export function originOf(ctx: Pick<Context, "request">): string {
  const request = ctx.request;
  if (!request) return "";
  return request.headers.get("origin") || new URL(request.url).origin;
}

export function loadersFor(services: Services, viewer: Viewer): Loaders {
  return { usedBy: services.attachments.usedByLoader(viewer), spentToday: services.limits.spentTodayLoader(viewer) };
}
