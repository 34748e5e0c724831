-- AlterTable
ALTER TABLE "LimitCounter" ADD COLUMN     "claimed" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "VaultInstance" (
    "id" TEXT NOT NULL,
    "leaseUntil" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "VaultInstance_pkey" PRIMARY KEY ("id")
);

-- What a placeholder opens is read from these tables (modules/broker/broker.dal.ts's grant).
-- Every instance keeps what it read until it hears that one of them changed: each statement that
-- may change it tells every listening session, with the backend that ran it (server/db/postgres/change-watch.ts).
CREATE FUNCTION "agent_vault_grants_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('agent_vault_grants', pg_backend_pid()::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER "BrokerPlaceholder_grants" AFTER UPDATE OR DELETE OR TRUNCATE ON "BrokerPlaceholder"
  FOR EACH STATEMENT EXECUTE FUNCTION "agent_vault_grants_changed"();
CREATE TRIGGER "Entry_grants" AFTER UPDATE OF "id", "userId", "name", "kind", "ciphertext", "upstream" OR DELETE OR TRUNCATE ON "Entry"
  FOR EACH STATEMENT EXECUTE FUNCTION "agent_vault_grants_changed"();
CREATE TRIGGER "Agent_grants" AFTER UPDATE OF "id", "userId", "name", "runningEnv" OR DELETE OR TRUNCATE ON "Agent"
  FOR EACH STATEMENT EXECUTE FUNCTION "agent_vault_grants_changed"();
CREATE TRIGGER "User_grants" AFTER UPDATE OF "id", "keySalt" OR DELETE OR TRUNCATE ON "User"
  FOR EACH STATEMENT EXECUTE FUNCTION "agent_vault_grants_changed"();
CREATE TRIGGER "AgentLimit_grants" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "AgentLimit"
  FOR EACH STATEMENT EXECUTE FUNCTION "agent_vault_grants_changed"();
