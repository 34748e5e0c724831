// Who did something, as the history and the activity log name them.
import type { ActorFieldsFragment } from "@agent-vault/sdk/documents";

export function actorLabel(actor: ActorFieldsFragment | null): string {
  if (!actor) return "";
  switch (actor.kind) {
    // A vault is one user's: whoever holds one of its API tokens is that user.
    case "API_TOKEN":
      return `you (token “${actor.name}”)`;
    case "RUNTIME_TOKEN":
      return `agent ${actor.name}`;
    default:
      return actor.name;
  }
}
