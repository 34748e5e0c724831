-- CreateTable
CREATE TABLE "AgentLimit" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "agentId" TEXT NOT NULL,
    "entryId" TEXT,
    "window" TEXT NOT NULL,
    "maxRequests" INTEGER,
    "maxTokens" BIGINT,
    "maxCostMicros" BIGINT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "AgentLimit_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "AgentLimit_entryId_fkey" FOREIGN KEY ("entryId") REFERENCES "Entry" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "LimitCounter" (
    "limitId" TEXT NOT NULL,
    "windowStart" BIGINT NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "tokens" BIGINT NOT NULL DEFAULT 0,
    "costMicros" BIGINT NOT NULL DEFAULT 0,

    PRIMARY KEY ("limitId", "windowStart"),
    CONSTRAINT "LimitCounter_limitId_fkey" FOREIGN KEY ("limitId") REFERENCES "AgentLimit" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "UsageHour" (
    "agentId" TEXT NOT NULL,
    "entryId" TEXT NOT NULL,
    "hourStart" BIGINT NOT NULL,
    "userId" TEXT NOT NULL,
    "secretName" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "inputTokens" BIGINT NOT NULL DEFAULT 0,
    "outputTokens" BIGINT NOT NULL DEFAULT 0,
    "costMicros" BIGINT NOT NULL DEFAULT 0,
    "errors" INTEGER NOT NULL DEFAULT 0,
    "unpricedRequests" INTEGER NOT NULL DEFAULT 0,

    PRIMARY KEY ("agentId", "entryId", "hourStart"),
    CONSTRAINT "UsageHour_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "AgentLimit_agentId_idx" ON "AgentLimit"("agentId");

-- CreateIndex
CREATE INDEX "UsageHour_userId_hourStart_idx" ON "UsageHour"("userId", "hourStart");
