-- CreateTable
-- Unlogged: staged rows are transient (an import that dies before publishing is removed anyway),
-- so PostgreSQL need not write them to its WAL.
CREATE UNLOGGED TABLE "ImportStage" (
    "id" TEXT NOT NULL,
    "importId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameKey" TEXT NOT NULL,
    "kind" "EntryKind" NOT NULL,
    "version" INTEGER NOT NULL,
    "ciphertext" BYTEA NOT NULL,
    "valueSize" INTEGER NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ImportStage_pkey" PRIMARY KEY ("importId","id")
);
