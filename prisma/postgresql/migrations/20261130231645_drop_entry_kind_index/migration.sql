-- DropIndex
DROP INDEX "Entry_userId_kind_nameKey_idx";
