-- CreateTable
CREATE TABLE "VaultInstance" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "leaseUntil" DATETIME NOT NULL
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_LimitCounter" (
    "limitId" TEXT NOT NULL,
    "windowStart" BIGINT NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "tokens" BIGINT NOT NULL DEFAULT 0,
    "costMicros" BIGINT NOT NULL DEFAULT 0,
    "claimed" INTEGER NOT NULL DEFAULT 0,

    PRIMARY KEY ("limitId", "windowStart"),
    CONSTRAINT "LimitCounter_limitId_fkey" FOREIGN KEY ("limitId") REFERENCES "AgentLimit" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_LimitCounter" ("costMicros", "limitId", "requests", "tokens", "windowStart") SELECT "costMicros", "limitId", "requests", "tokens", "windowStart" FROM "LimitCounter";
DROP TABLE "LimitCounter";
ALTER TABLE "new_LimitCounter" RENAME TO "LimitCounter";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
