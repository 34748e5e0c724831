-- Entry kinds, AI providers and connection methods become enums. The columns change type in
-- place (USING casts), so existing rows and their indexes are kept.

-- CreateEnum
CREATE TYPE "EntryKind" AS ENUM ('SECRET', 'VARIABLE');

-- CreateEnum
CREATE TYPE "AiProvider" AS ENUM ('ANTHROPIC', 'OPENAI', 'OPENROUTER');

-- CreateEnum
CREATE TYPE "AiProviderMethod" AS ENUM ('API_KEY', 'OAUTH');

-- AlterTable
ALTER TABLE "Entry" ALTER COLUMN "kind" TYPE "EntryKind" USING "kind"::"EntryKind";

-- AlterTable
ALTER TABLE "ProviderConnection"
  ALTER COLUMN "provider" TYPE "AiProvider" USING "provider"::"AiProvider",
  ALTER COLUMN "method" TYPE "AiProviderMethod" USING "method"::"AiProviderMethod";
