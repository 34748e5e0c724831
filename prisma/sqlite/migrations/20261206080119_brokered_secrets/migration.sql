-- AlterTable
ALTER TABLE "Entry" ADD COLUMN "upstream" TEXT;

-- CreateTable
CREATE TABLE "BrokerPlaceholder" (
    "tokenHash" TEXT NOT NULL PRIMARY KEY,
    "runtimeTokenId" TEXT NOT NULL,
    "agentId" TEXT NOT NULL,
    "entryId" TEXT NOT NULL,
    "binding" TEXT NOT NULL,
    CONSTRAINT "BrokerPlaceholder_runtimeTokenId_fkey" FOREIGN KEY ("runtimeTokenId") REFERENCES "RuntimeToken" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "BrokerPlaceholder_agentId_entryId_fkey" FOREIGN KEY ("agentId", "entryId") REFERENCES "Attachment" ("agentId", "entryId") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "BrokerPlaceholder_runtimeTokenId_idx" ON "BrokerPlaceholder"("runtimeTokenId");

-- CreateIndex
CREATE INDEX "BrokerPlaceholder_agentId_entryId_idx" ON "BrokerPlaceholder"("agentId", "entryId");
