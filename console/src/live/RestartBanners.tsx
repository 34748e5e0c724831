// Live restart notices (restartNeeded, over server-sent events): a banner naming the agent and the
// change, whoever made it (this console, the CLI, the SDK), and the agent list reloads.
import { RestartAgentDocument, RestartNeededDocument } from "@agent-vault/sdk/documents";
import { useEffect, useState } from "react";
import { useMutation, useSubscription } from "urql";
import { restartRequest } from "../agents/restart-request.tsx";
import { useConfirm } from "../app/confirm.tsx";
import { useData } from "../app/data.tsx";
import { Link, usePath } from "../app/router.tsx";

type Banner = { key: string; agentId: string; agentName: string; changes: string[]; automatic: boolean };

const CHANGE_WORDS: Record<string, string> = { ADDED: "added", UPDATED: "updated", REMOVED: "removed" };

export function RestartBanners() {
  const [{ data }] = useSubscription({ query: RestartNeededDocument, variables: {} });
  const { agents, reloadAgents, reloadEntries } = useData();
  const [banners, setBanners] = useState<Banner[]>([]);
  const [, restart] = useMutation(RestartAgentDocument);
  const confirm = useConfirm();
  const notice = data?.restartNeeded;
  const path = usePath();

  // biome-ignore lint/correctness/useExhaustiveDependencies: a notice is the trigger
  useEffect(() => {
    if (!notice) return;
    reloadAgents();
    reloadEntries();
    setBanners((old) => {
      const others = old.filter((banner) => banner.agentId !== notice.agentId);
      if (!notice.agent.restartRequired) return others;
      const line = `${notice.entryName} ${CHANGE_WORDS[notice.change] ?? notice.change.toLowerCase()}`;
      const previous = old.find((banner) => banner.agentId === notice.agentId);
      return [
        ...others,
        {
          key: `${notice.agentId}:${notice.occurredAt}`,
          agentId: notice.agentId,
          agentName: notice.agent.name,
          changes: [...(previous?.changes ?? []), line].slice(-3),
          automatic: notice.automatic,
        },
      ];
    });
  }, [notice]);

  // An agent restarted since (from its page, the CLI, by itself) needs no banner.
  const shown = banners.filter(
    (banner) => agents.rows.find((agent) => agent.id === banner.agentId)?.restartRequired !== false,
  );
  if (shown.length === 0) return null;
  return (
    <section aria-label="Restart notices" className="banners">
      {shown.map((banner) => (
        <div key={banner.key} className="banner" role="status">
          <p>
            <strong>
              <Link to={`/agents/${banner.agentId}`}>{banner.agentName}</Link> needs a restart
            </strong>
            : {banner.changes.join("; ")}.{banner.automatic ? " It restarts by itself in a moment." : ""}
          </p>
          <div className="actions">
            {/* On the agent's own page, its Restart button is right there. */}
            {path === `/agents/${banner.agentId}` ? null : (
              <button
                type="button"
                aria-label={`Restart ${banner.agentName}`}
                onClick={async () => {
                  if (!(await confirm(restartRequest(banner.agentName, banner.changes)))) return;
                  await restart({ input: { agentId: banner.agentId } });
                  setBanners((old) => old.filter((other) => other.agentId !== banner.agentId));
                  reloadAgents();
                }}
              >
                Restart
              </button>
            )}
            <button
              type="button"
              className="secondary"
              aria-label={`Dismiss the notice about ${banner.agentName}`}
              onClick={() => setBanners((old) => old.filter((other) => other.agentId !== banner.agentId))}
            >
              Dismiss
            </button>
          </div>
        </div>
      ))}
    </section>
  );
}
