-- Scoped, expiring API tokens, and token hashes keyed by the master key (hashKeyVersion;
-- the server rehashes older rows at start). Tokens from before scopes keep every scope.

-- AlterTable
ALTER TABLE "RuntimeToken" ADD COLUMN "hashKeyVersion" INTEGER;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_ApiToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "hashKeyVersion" INTEGER,
    "scopes" TEXT NOT NULL,
    "expiresAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" DATETIME,
    CONSTRAINT "ApiToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_ApiToken" ("createdAt", "id", "name", "revokedAt", "tokenHash", "userId", "scopes") SELECT "createdAt", "id", "name", "revokedAt", "tokenHash", "userId", 'ENTRIES_READ,ENTRIES_WRITE,ENTRIES_DELETE,AGENTS_READ,AGENTS_WRITE,RUNTIME_ISSUE,TOKENS_MANAGE,PROVIDERS_MANAGE,ACTIVITY_READ' FROM "ApiToken";
DROP TABLE "ApiToken";
ALTER TABLE "new_ApiToken" RENAME TO "ApiToken";
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");
CREATE INDEX "ApiToken_userId_idx" ON "ApiToken"("userId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
