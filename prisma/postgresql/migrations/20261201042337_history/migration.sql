-- AlterTable
ALTER TABLE "Entry" ADD COLUMN     "updatedBy" TEXT;

-- AlterTable
ALTER TABLE "ImportStage" ADD COLUMN     "updatedBy" TEXT;

-- CreateTable
CREATE TABLE "EntryVersion" (
    "entryId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "ciphertext" BYTEA NOT NULL,
    "valueSize" INTEGER NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "createdBy" TEXT,

    CONSTRAINT "EntryVersion_pkey" PRIMARY KEY ("entryId","version")
);

-- CreateTable
CREATE TABLE "ActivityEvent" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "action" TEXT NOT NULL,
    "actorKind" TEXT NOT NULL,
    "actorId" TEXT,
    "actorName" TEXT,
    "address" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "entryId" TEXT,
    "entryName" TEXT,
    "agentId" TEXT,
    "agentName" TEXT,
    "details" TEXT,
    "keyVersion" INTEGER NOT NULL,
    "digest" TEXT NOT NULL,

    CONSTRAINT "ActivityEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ActivityChain" (
    "userId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "digest" TEXT NOT NULL,
    "headMac" TEXT NOT NULL,
    "keyVersion" INTEGER NOT NULL,
    "anchorSeq" INTEGER NOT NULL DEFAULT 0,
    "anchorDigest" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "ActivityChain_pkey" PRIMARY KEY ("userId")
);

-- CreateIndex
CREATE UNIQUE INDEX "ActivityEvent_userId_seq_key" ON "ActivityEvent"("userId", "seq");

-- AddForeignKey
ALTER TABLE "EntryVersion" ADD CONSTRAINT "EntryVersion_entryId_fkey" FOREIGN KEY ("entryId") REFERENCES "Entry"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ActivityEvent" ADD CONSTRAINT "ActivityEvent_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ActivityChain" ADD CONSTRAINT "ActivityChain_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
