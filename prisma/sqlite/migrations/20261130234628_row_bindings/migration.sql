-- Row bindings: an HMAC over what a token or an attachment grants, so that a row written in the
-- database grants nothing. Rows from before get theirs once, at the first start after this.

-- AlterTable
ALTER TABLE "ApiToken" ADD COLUMN "binding" TEXT;

-- AlterTable
ALTER TABLE "Attachment" ADD COLUMN "binding" TEXT;

-- AlterTable
ALTER TABLE "RuntimeToken" ADD COLUMN "binding" TEXT;
