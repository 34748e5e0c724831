-- CreateEnum
CREATE TYPE "AgentRestartPolicy" AS ENUM ('MANUAL', 'ON_CHANGE');

-- AlterTable
ALTER TABLE "Agent" ADD COLUMN     "restartPolicy" "AgentRestartPolicy" NOT NULL DEFAULT 'MANUAL';

-- AlterTable
ALTER TABLE "ProviderConnection" ADD COLUMN     "lastRefreshedAt" TIMESTAMP(3),
ADD COLUMN     "needsReauth" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "nextRefreshAt" TIMESTAMP(3),
ADD COLUMN     "refreshError" TEXT,
ADD COLUMN     "refreshFailures" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "refreshLeaseUntil" TIMESTAMP(3);
