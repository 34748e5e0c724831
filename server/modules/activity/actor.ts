// Who did something: the API token (its id and name), the agent whose runtime token it was, or
// the vault itself (a server command, a scheduled refresh). Stored with history and activity.
import type { RuntimeViewer, Viewer } from "../../auth/viewer.ts";

export type ActorKind = "API_TOKEN" | "RUNTIME_TOKEN" | "SYSTEM";
export type Actor = {
  kind: ActorKind;
  /** The API token's id, or the agent's for a runtime token; null for the vault itself. */
  id: string | null;
  /** The API token's name, the agent's name, or what the vault was doing. */
  name: string;
  /** A runtime token's own id. */
  tokenId?: string | null;
};

export const systemActor = (name: string): Actor => ({ kind: "SYSTEM", id: null, name });

export function actorOf(viewer: Viewer | RuntimeViewer): Actor {
  if ("agent" in viewer) {
    return { kind: "RUNTIME_TOKEN", id: viewer.agent.id, name: viewer.agent.name, tokenId: viewer.tokenId };
  }
  return { kind: "API_TOKEN", id: viewer.tokenId, name: viewer.tokenName };
}

/** As stored in Entry.updatedBy and EntryVersion.createdBy. */
export const actorJson = (actor: Actor) => JSON.stringify(actor);

export function parseActor(stored: unknown): Actor | null {
  if (typeof stored !== "string") return null;
  try {
    const parsed = JSON.parse(stored) as Actor;
    return parsed && typeof parsed.kind === "string" && typeof parsed.name === "string" ? parsed : null;
  } catch {
    return null;
  }
}
