-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Agent" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameKey" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastRestartedAt" DATETIME,
    "restartPolicy" TEXT NOT NULL DEFAULT 'MANUAL',
    "runningEnv" TEXT NOT NULL DEFAULT '[]',
    CONSTRAINT "Agent_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Agent" ("createdAt", "id", "lastRestartedAt", "name", "nameKey", "runningEnv", "userId") SELECT "createdAt", "id", "lastRestartedAt", "name", "nameKey", "runningEnv", "userId" FROM "Agent";
DROP TABLE "Agent";
ALTER TABLE "new_Agent" RENAME TO "Agent";
CREATE UNIQUE INDEX "Agent_userId_nameKey_key" ON "Agent"("userId", "nameKey");
CREATE TABLE "new_ProviderConnection" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "entryId" TEXT NOT NULL,
    "connectedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME,
    "refreshCiphertext" BLOB,
    "issuer" TEXT,
    "clientId" TEXT,
    "lastCheckedAt" DATETIME,
    "lastCheckAccepted" BOOLEAN,
    "lastCheckError" TEXT,
    "lastRefreshedAt" DATETIME,
    "refreshError" TEXT,
    "refreshFailures" INTEGER NOT NULL DEFAULT 0,
    "nextRefreshAt" DATETIME,
    "needsReauth" BOOLEAN NOT NULL DEFAULT false,
    "refreshLeaseUntil" DATETIME,
    CONSTRAINT "ProviderConnection_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ProviderConnection_entryId_fkey" FOREIGN KEY ("entryId") REFERENCES "Entry" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_ProviderConnection" ("clientId", "connectedAt", "entryId", "expiresAt", "id", "issuer", "lastCheckAccepted", "lastCheckError", "lastCheckedAt", "method", "provider", "refreshCiphertext", "userId") SELECT "clientId", "connectedAt", "entryId", "expiresAt", "id", "issuer", "lastCheckAccepted", "lastCheckError", "lastCheckedAt", "method", "provider", "refreshCiphertext", "userId" FROM "ProviderConnection";
DROP TABLE "ProviderConnection";
ALTER TABLE "new_ProviderConnection" RENAME TO "ProviderConnection";
CREATE UNIQUE INDEX "ProviderConnection_entryId_key" ON "ProviderConnection"("entryId");
CREATE UNIQUE INDEX "ProviderConnection_userId_provider_key" ON "ProviderConnection"("userId", "provider");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
