// The GraphQL context: who is asking (authenticated by services.authenticate, the one path for
// every transport), the database for the Prisma plugin's selections, and the services.
import type { Viewer } from "./auth/viewer.ts";
import type { Db } from "./db/database.ts";
import type { Services } from "./services.ts";

export type Context = { viewer: Viewer; db: Db; services: Services };
