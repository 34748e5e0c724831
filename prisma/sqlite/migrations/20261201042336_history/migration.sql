-- AlterTable
ALTER TABLE "Entry" ADD COLUMN "updatedBy" TEXT;

-- AlterTable
ALTER TABLE "ImportStage" ADD COLUMN "updatedBy" TEXT;

-- CreateTable
CREATE TABLE "EntryVersion" (
    "entryId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "ciphertext" BLOB NOT NULL,
    "valueSize" INTEGER NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "createdBy" TEXT,

    PRIMARY KEY ("entryId", "version"),
    CONSTRAINT "EntryVersion_entryId_fkey" FOREIGN KEY ("entryId") REFERENCES "Entry" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ActivityEvent" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "action" TEXT NOT NULL,
    "actorKind" TEXT NOT NULL,
    "actorId" TEXT,
    "actorName" TEXT,
    "address" TEXT,
    "createdAt" DATETIME NOT NULL,
    "entryId" TEXT,
    "entryName" TEXT,
    "agentId" TEXT,
    "agentName" TEXT,
    "details" TEXT,
    "keyVersion" INTEGER NOT NULL,
    "digest" TEXT NOT NULL,
    CONSTRAINT "ActivityEvent_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ActivityChain" (
    "userId" TEXT NOT NULL PRIMARY KEY,
    "seq" INTEGER NOT NULL,
    "digest" TEXT NOT NULL,
    "headMac" TEXT NOT NULL,
    "keyVersion" INTEGER NOT NULL,
    "anchorSeq" INTEGER NOT NULL DEFAULT 0,
    "anchorDigest" TEXT NOT NULL DEFAULT '',
    CONSTRAINT "ActivityChain_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "ActivityEvent_userId_seq_key" ON "ActivityEvent"("userId", "seq");
