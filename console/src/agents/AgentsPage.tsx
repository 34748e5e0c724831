// "Agents": every agent, with a "Restart required" badge and its pending changes.
import { useData } from "../app/data.tsx";
import { useDialogs } from "../app/dialogs.tsx";
import { Link, useTitle } from "../app/router.tsx";
import { ErrorLine, When } from "../app/ui.tsx";
import { money } from "./money.ts";

export function AgentsPage() {
  useTitle("Agents");
  const { agents } = useData();
  const { openDialog } = useDialogs();
  return (
    <>
      <div className="section-head">
        <h1>Agents</h1>
        <button type="button" onClick={() => openDialog({ createAgent: true })}>
          Create agent
        </button>
      </div>
      <ErrorLine error={agents.error} />
      {agents.rows.length === 0 && !agents.loading ? <p className="empty">No agents yet.</p> : null}
      <ul className="agent-list">
        {agents.rows.map((agent) => (
          <li key={agent.id} className="card">
            <h2>
              <Link to={`/agents/${agent.id}`}>{agent.name}</Link>
            </h2>
            {agent.restartRequired ? <RestartBadge count={agent.pendingChanges.length} /> : null}
            <p className="muted">
              {agent.entries.length} {agent.entries.length === 1 ? "entry" : "entries"} · restarted{" "}
              <When at={agent.lastRestartedAt} />
              {agent.restartPolicy === "ON_CHANGE" ? " · restarts by itself" : ""} · spent today{" "}
              {money(agent.spentTodayUsd)}
            </p>
          </li>
        ))}
      </ul>
    </>
  );
}

export function RestartBadge({ count }: { count: number }) {
  return (
    <span className="restart-badge">
      <span className="badge warning">Restart required</span>{" "}
      <span className="muted">
        {count} pending {count === 1 ? "change" : "changes"}
      </span>
    </span>
  );
}
