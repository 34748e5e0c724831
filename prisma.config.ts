import path from "node:path";
import { defineConfig } from "prisma/config";

// `prisma generate` refuses to run without a schema engine binary; see prisma/schema-engine-stub.sh.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.resolve("prisma/schema-engine-stub.sh");

export default defineConfig({
  schema: "prisma/sqlite/schema.prisma",
});
