-- AlterTable
ALTER TABLE "ConsoleSession" ADD COLUMN     "binding" TEXT;
