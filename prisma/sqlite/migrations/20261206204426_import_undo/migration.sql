-- CreateTable
CREATE TABLE "ImportRecord" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "createdIds" TEXT NOT NULL,
    "undoneAt" DATETIME,
    CONSTRAINT "ImportRecord_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ImportChange" (
    "importId" TEXT NOT NULL,
    "entryId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "version" INTEGER NOT NULL,

    PRIMARY KEY ("importId", "entryId"),
    CONSTRAINT "ImportChange_importId_fkey" FOREIGN KEY ("importId") REFERENCES "ImportRecord" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "ImportRecord_userId_createdAt_idx" ON "ImportRecord"("userId", "createdAt");
