#!/bin/sh
# Prisma's native schema engine cannot be downloaded on these machines; migrations run through
# @prisma/schema-engine-wasm instead (server/db/migrate.ts). This stub only satisfies the CLI.
echo "agent-vault: the native Prisma schema engine is not used; run 'npm run generate' or 'agent-vault migrate'." >&2
exit 1
