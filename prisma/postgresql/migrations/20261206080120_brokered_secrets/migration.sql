-- AlterTable
ALTER TABLE "Entry" ADD COLUMN     "upstream" TEXT;

-- CreateTable
CREATE TABLE "BrokerPlaceholder" (
    "tokenHash" TEXT NOT NULL,
    "runtimeTokenId" TEXT NOT NULL,
    "agentId" TEXT NOT NULL,
    "entryId" TEXT NOT NULL,
    "binding" TEXT NOT NULL,

    CONSTRAINT "BrokerPlaceholder_pkey" PRIMARY KEY ("tokenHash")
);

-- CreateIndex
CREATE INDEX "BrokerPlaceholder_runtimeTokenId_idx" ON "BrokerPlaceholder"("runtimeTokenId");

-- CreateIndex
CREATE INDEX "BrokerPlaceholder_agentId_entryId_idx" ON "BrokerPlaceholder"("agentId", "entryId");

-- AddForeignKey
ALTER TABLE "BrokerPlaceholder" ADD CONSTRAINT "BrokerPlaceholder_runtimeTokenId_fkey" FOREIGN KEY ("runtimeTokenId") REFERENCES "RuntimeToken"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BrokerPlaceholder" ADD CONSTRAINT "BrokerPlaceholder_agentId_entryId_fkey" FOREIGN KEY ("agentId", "entryId") REFERENCES "Attachment"("agentId", "entryId") ON DELETE CASCADE ON UPDATE CASCADE;
