// The enums of prisma/models.prisma, the same strings on both databases.
export { AgentRestartPolicy, AiProvider, AiProviderMethod, EntryKind } from "../../prisma/sqlite/client/enums.ts";
