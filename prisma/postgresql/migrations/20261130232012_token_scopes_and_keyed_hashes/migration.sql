-- Scoped, expiring API tokens, and token hashes keyed by the master key (hashKeyVersion;
-- the server rehashes older rows at start). Tokens from before scopes keep every scope.

-- AlterTable
ALTER TABLE "ApiToken" ADD COLUMN     "expiresAt" TIMESTAMP(3),
ADD COLUMN     "hashKeyVersion" INTEGER,
ADD COLUMN     "scopes" TEXT NOT NULL DEFAULT 'ENTRIES_READ,ENTRIES_WRITE,ENTRIES_DELETE,AGENTS_READ,AGENTS_WRITE,RUNTIME_ISSUE,TOKENS_MANAGE,PROVIDERS_MANAGE,ACTIVITY_READ';
ALTER TABLE "ApiToken" ALTER COLUMN "scopes" DROP DEFAULT;

-- AlterTable
ALTER TABLE "RuntimeToken" ADD COLUMN     "hashKeyVersion" INTEGER;
