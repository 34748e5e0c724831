// What Restart asks before it stops an agent: the agent it stops, and what it starts with.
import type { ConfirmRequest } from "../app/confirm.tsx";

export function restartRequest(agentName: string, changes: readonly string[]): ConfirmRequest {
  return {
    title: `Restart ${agentName}?`,
    body: (
      <>
        <p>
          The agent's running command (<code>agent-vault run</code>) is stopped and started again with its environment
          as it is now: work it is doing is interrupted.
        </p>
        {changes.length ? (
          <>
            <p>It starts with these changes:</p>
            <ul>
              {changes.map((change) => (
                <li key={change}>{change}</li>
              ))}
            </ul>
          </>
        ) : null}
      </>
    ),
    confirmLabel: "Restart",
  };
}
