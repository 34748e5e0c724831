-- CreateEnum
CREATE TYPE "LimitWindow" AS ENUM ('MINUTE', 'HOUR', 'DAY', 'MONTH');

-- CreateTable
CREATE TABLE "AgentLimit" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "agentId" TEXT NOT NULL,
    "entryId" TEXT,
    "window" "LimitWindow" NOT NULL,
    "maxRequests" INTEGER,
    "maxTokens" BIGINT,
    "maxCostMicros" BIGINT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AgentLimit_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LimitCounter" (
    "limitId" TEXT NOT NULL,
    "windowStart" BIGINT NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "tokens" BIGINT NOT NULL DEFAULT 0,
    "costMicros" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "LimitCounter_pkey" PRIMARY KEY ("limitId","windowStart")
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

    CONSTRAINT "UsageHour_pkey" PRIMARY KEY ("agentId","entryId","hourStart")
);

-- CreateIndex
CREATE INDEX "AgentLimit_agentId_idx" ON "AgentLimit"("agentId");

-- CreateIndex
CREATE INDEX "UsageHour_userId_hourStart_idx" ON "UsageHour"("userId", "hourStart");

-- AddForeignKey
ALTER TABLE "AgentLimit" ADD CONSTRAINT "AgentLimit_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgentLimit" ADD CONSTRAINT "AgentLimit_entryId_fkey" FOREIGN KEY ("entryId") REFERENCES "Entry"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LimitCounter" ADD CONSTRAINT "LimitCounter_limitId_fkey" FOREIGN KEY ("limitId") REFERENCES "AgentLimit"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UsageHour" ADD CONSTRAINT "UsageHour_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent"("id") ON DELETE CASCADE ON UPDATE CASCADE;
