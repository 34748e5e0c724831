-- CreateTable
CREATE TABLE "ImportRecord" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "createdIds" TEXT NOT NULL,
    "undoneAt" TIMESTAMP(3),

    CONSTRAINT "ImportRecord_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ImportChange" (
    "importId" TEXT NOT NULL,
    "entryId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "version" INTEGER NOT NULL,

    CONSTRAINT "ImportChange_pkey" PRIMARY KEY ("importId","entryId")
);

-- CreateIndex
CREATE INDEX "ImportRecord_userId_createdAt_idx" ON "ImportRecord"("userId", "createdAt");

-- AddForeignKey
ALTER TABLE "ImportRecord" ADD CONSTRAINT "ImportRecord_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ImportChange" ADD CONSTRAINT "ImportChange_importId_fkey" FOREIGN KEY ("importId") REFERENCES "ImportRecord"("id") ON DELETE CASCADE ON UPDATE CASCADE;
