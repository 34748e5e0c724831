// One agent: its "Secrets" (attached entries: attach from the vault, detach), its pending
// changes and "Restart", its restart policy, its "Usage" and "Limits", and its runtime tokens.
import {
  AgentDocument,
  AgentRuntimeTokensDocument,
  AttachEntriesDocument,
  CreateRuntimeTokenDocument,
  DetachEntriesDocument,
  RestartAgentDocument,
  RevokeRuntimeTokenDocument,
  UpdateAgentDocument,
} from "@agent-vault/sdk/documents";
import { useEffect, useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import { useConfirm } from "../app/confirm.tsx";
import { useData } from "../app/data.tsx";
import { Modal } from "../app/modal.tsx";
import { Link, useTitle } from "../app/router.tsx";
import { CopyButton, ErrorLine, outcomeOf, When } from "../app/ui.tsx";
import { RestartBadge } from "./AgentsPage.tsx";
import { AgentUsage } from "./AgentUsage.tsx";
import { EntryPicker } from "./EntryPicker.tsx";
import { restartRequest } from "./restart-request.tsx";

export function AgentPage({ id }: { id: string }) {
  const { agents, reloadAgents, reloadEntries } = useData();
  const [{ data, fetching, error }, refetch] = useQuery({ query: AgentDocument, variables: { id } });
  const agent = data?.agent;
  useTitle(agent?.name ?? "Agent");
  // A live notice reloads the agent list: this page follows it.
  const listed = agents.rows.find((row) => row.id === id);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a changed listing is the trigger
  useEffect(() => {
    refetch({ requestPolicy: "network-only" });
  }, [listed]);
  const [problem, setProblem] = useState<string | null>(null);
  const [attaching, setAttaching] = useState(false);
  const [, detach] = useMutation(DetachEntriesDocument);
  const [{ fetching: restarting }, restart] = useMutation(RestartAgentDocument);
  const confirm = useConfirm();
  const [, update] = useMutation(UpdateAgentDocument);

  if (!agent) {
    return fetching ? (
      <p className="muted">Loading…</p>
    ) : (
      <>
        <h1>Agent not found</h1>
        <ErrorLine error={error?.message} />
        <Link to="/agents">All agents</Link>
      </>
    );
  }
  const changed = () => {
    refetch({ requestPolicy: "network-only" });
    reloadAgents();
    reloadEntries();
  };
  return (
    <>
      <p>
        <Link to="/agents">Agents</Link>
      </p>
      <div className="section-head">
        <h1>{agent.name}</h1>
        {agent.restartRequired ? <RestartBadge count={agent.pendingChanges.length} /> : null}
        <button
          type="button"
          disabled={restarting}
          onClick={async () => {
            const changes = agent.pendingChanges.map((change) => `${change.name} ${change.change.toLowerCase()}`);
            if (!(await confirm(restartRequest(agent.name, changes)))) return;
            const outcome = outcomeOf(await restart({ input: { agentId: agent.id } }), "restartAgent");
            setProblem(outcome.error ?? null);
            changed();
          }}
        >
          Restart
        </button>
      </div>
      <ErrorLine error={problem} />
      <dl className="facts">
        <dt>Last restarted</dt>
        <dd>
          <When at={agent.lastRestartedAt} />
        </dd>
        <dt>
          <label htmlFor="restart-policy">Restart policy</label>
        </dt>
        <dd>
          <select
            id="restart-policy"
            value={agent.restartPolicy}
            onChange={async (event) => {
              const restartPolicy = event.target.value as typeof agent.restartPolicy;
              const outcome = outcomeOf(await update({ input: { agentId: agent.id, restartPolicy } }), "updateAgent");
              setProblem(outcome.error ?? null);
              changed();
            }}
          >
            <option value="MANUAL">When someone restarts it</option>
            <option value="ON_CHANGE">By itself, when its entries change</option>
          </select>
        </dd>
      </dl>

      <section aria-labelledby="secrets-title">
        <div className="section-head">
          <h2 id="secrets-title">Secrets</h2>
          <button type="button" className="secondary" onClick={() => setAttaching(true)}>
            Attach from the vault
          </button>
        </div>
        {agent.entries.length === 0 ? <p className="empty">Nothing attached.</p> : null}
        <ul className="attached">
          {agent.entries.map((entry) => (
            <li key={entry.id}>
              <code>{entry.name}</code>
              <span className="muted"> {entry.kind === "SECRET" ? "secret" : "variable"}</span>
              <span className="muted"> v{entry.version}</span>
              <button
                type="button"
                className="secondary"
                aria-label={`Detach ${entry.name}`}
                onClick={async () => {
                  const outcome = outcomeOf(
                    await detach({ input: { agentId: agent.id, entryIds: [entry.id] } }),
                    "detachEntries",
                  );
                  setProblem(outcome.error ?? null);
                  changed();
                }}
              >
                Detach
              </button>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="pending-title">
        <h2 id="pending-title">Pending changes</h2>
        {agent.pendingChanges.length === 0 ? (
          <p className="muted">None: it runs with what is attached.</p>
        ) : (
          <ul className="pending">
            {agent.pendingChanges.map((change) => (
              <li key={`${change.name}:${change.change}`}>
                <span className={`change ${change.change.toLowerCase()}`}>{change.change}</span>{" "}
                <code>{change.name}</code>
              </li>
            ))}
          </ul>
        )}
      </section>

      <AgentUsage
        agentId={agent.id}
        agentName={agent.name}
        brokered={agent.entries.filter((entry) => entry.delivery === "BROKERED")}
      />

      <RuntimeTokens agentId={agent.id} />

      <AttachDialog
        open={attaching}
        agentId={agent.id}
        attached={agent.entries.map((entry) => entry.id)}
        onClose={() => setAttaching(false)}
        onAttached={changed}
      />
    </>
  );
}

function AttachDialog(props: {
  open: boolean;
  agentId: string;
  attached: string[];
  onClose: () => void;
  onAttached: () => void;
}) {
  const [chosen, setChosen] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, attach] = useMutation(AttachEntriesDocument);
  const exclude = useMemo(() => new Set(props.attached), [props.attached]);
  return (
    <Modal open={props.open} onOpenChange={(open) => open || props.onClose()} title="Attach from the vault" wide>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          const outcome = outcomeOf(
            await attach({ input: { agentId: props.agentId, entryIds: chosen } }),
            "attachEntries",
          );
          if (!outcome.ok) {
            setError(outcome.error);
            return;
          }
          setChosen([]);
          props.onAttached();
          props.onClose();
        }}
      >
        <EntryPicker legend="Variables and secrets to attach" chosen={chosen} onChange={setChosen} exclude={exclude} />
        <ErrorLine error={error} />
        <div className="actions">
          <button type="submit" disabled={fetching || chosen.length === 0}>
            Attach
          </button>
        </div>
      </form>
    </Modal>
  );
}

function RuntimeTokens({ agentId }: { agentId: string }) {
  const [{ data }, refetch] = useQuery({ query: AgentRuntimeTokensDocument, variables: { id: agentId } });
  const [, create] = useMutation(CreateRuntimeTokenDocument);
  const [, revoke] = useMutation(RevokeRuntimeTokenDocument);
  const [shown, setShown] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const tokens = data?.agent?.runtimeTokens ?? [];
  return (
    <section aria-labelledby="runtime-tokens-title">
      <div className="section-head">
        <h2 id="runtime-tokens-title">Runtime tokens</h2>
        <button
          type="button"
          className="secondary"
          onClick={async () => {
            const outcome = outcomeOf<{ token: string }>(await create({ input: { agentId } }), "createRuntimeToken");
            if (!outcome.ok) {
              setError(outcome.error);
              return;
            }
            setShown(outcome.data.token);
            refetch({ requestPolicy: "network-only" });
          }}
        >
          Create runtime token
        </button>
      </div>
      <p className="muted">
        An agent started with <code>agent-vault run</code> uses one to fetch its environment.
      </p>
      <ErrorLine error={error} />
      {tokens.length === 0 ? <p className="empty">No runtime tokens.</p> : null}
      <ul className="tokens">
        {tokens.map((token) => (
          <li key={token.id}>
            <code>{token.id}</code> <span className="muted">created</span> <When at={token.createdAt} />
            <button
              type="button"
              className="danger"
              aria-label={`Revoke runtime token ${token.id}`}
              onClick={async () => {
                const outcome = outcomeOf(await revoke({ input: { id: token.id } }), "revokeRuntimeToken");
                setError(outcome.error ?? null);
                refetch({ requestPolicy: "network-only" });
              }}
            >
              Revoke
            </button>
          </li>
        ))}
      </ul>
      <ShownOnce token={shown} onClose={() => setShown(null)} title="Runtime token" />
    </section>
  );
}

/** A new token, shown once: copied from here, never shown again, gone from the page once closed. */
export function ShownOnce(props: {
  token: string | null;
  onClose: () => void;
  title: string;
  /** Lines that use the token from a shell, shown with it. */
  shellLines?: (token: string) => string;
}) {
  return (
    <Modal
      open={props.token !== null}
      onOpenChange={(open) => open || props.onClose()}
      title={props.title}
      description="Copy it now: it is shown once and cannot be viewed again."
    >
      {props.token ? (
        <div className="command">
          <code className="token">{props.token}</code>
          <CopyButton text={props.token} />
        </div>
      ) : null}
      {props.token && props.shellLines ? (
        <>
          <p>To use it from a shell, paste:</p>
          <div className="command">
            <pre>
              <code>{props.shellLines(props.token)}</code>
            </pre>
            <CopyButton text={props.shellLines(props.token)} label="Copy shell lines" />
          </div>
        </>
      ) : null}
      <div className="actions">
        <button type="button" onClick={props.onClose}>
          Done
        </button>
      </div>
    </Modal>
  );
}
