// The GraphQL context: who is asking (authenticated by services.authenticate, the one path for
// every transport), the database for the Prisma plugin's selections, the services, and the
// request's batching loaders.
import type { Viewer } from "./auth/viewer.ts";
import type { Db } from "./db/database.ts";
import type { AttachmentService } from "./modules/attachment/attachment.service.ts";
import type { Services } from "./services.ts";

export type Loaders = { usedBy: ReturnType<AttachmentService["usedByLoader"]> };
export type Context = {
  viewer: Viewer;
  db: Db;
  services: Services;
  loaders: Loaders;
  /** Entries a mutation of this request wrote: a variable's value is readable there without ENTRIES_READ. */
  written: WeakSet<object>;
};

export function loadersFor(services: Services, viewer: Viewer): Loaders {
  return { usedBy: services.attachments.usedByLoader(viewer) };
}
