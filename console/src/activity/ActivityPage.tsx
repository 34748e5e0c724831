// "Activity": the vault's log, newest first, followed live (activityAdded over server-sent events),
// filtered by action or agent, with older events a page at a time and a check of the
// tamper-evident chain. Events hold names and ids, never a value.
import {
  type ActivityAction,
  ActivityAddedDocument,
  ActivityDocument,
  type ActivityEventFieldsFragment,
  type ActivityFilter,
  VerifyActivityDocument,
} from "@agent-vault/sdk/documents";
import { useMemo, useState } from "react";
import { useClient, useQuery, useSubscription } from "urql";
import { useData } from "../app/data.tsx";
import { NoteRow, PageEnd } from "../app/page-rows.tsx";
import { Link, useTitle } from "../app/router.tsx";
import { When } from "../app/ui.tsx";
import { ACTIONS, actionLabel, detailPairs } from "./activity-text.ts";
import { actorLabel } from "./actor.ts";
import { UndoImportDialog } from "./UndoImportDialog.tsx";

const PAGE = 50;
/** Live events kept on the page; older ones are a page away. */
const LIVE_KEPT = 500;

type Event = ActivityEventFieldsFragment;

export function ActivityPage() {
  useTitle("Activity");
  const { agents } = useData();
  const [action, setAction] = useState<ActivityAction | "">("");
  const [agentId, setAgentId] = useState("");
  const filter = useMemo<ActivityFilter>(
    () => ({ ...(action ? { actions: [action] } : {}), ...(agentId ? { agentId } : {}) }),
    [action, agentId],
  );
  return (
    <>
      <h1>Activity</h1>
      <p className="muted">
        What happened in this vault, newest first; new events appear as they happen. Names and ids only: a value is
        never recorded.
      </p>
      <div className="toolbar">
        <label className="inline">
          Action
          <select value={action} onChange={(event) => setAction(event.target.value as ActivityAction | "")}>
            <option value="">All actions</option>
            {ACTIONS.map((name) => (
              <option key={name} value={name}>
                {actionLabel(name)}
              </option>
            ))}
          </select>
        </label>
        <label className="inline">
          Agent
          <select value={agentId} onChange={(event) => setAgentId(event.target.value)}>
            <option value="">All agents</option>
            {agents.rows.map((agent) => (
              <option key={agent.id} value={agent.id}>
                {agent.name}
              </option>
            ))}
          </select>
        </label>
        <ChainCheck />
      </div>
      <Log key={JSON.stringify(filter)} filter={filter} />
    </>
  );
}

function Log({ filter }: { filter: ActivityFilter }) {
  const [{ data: live }] = useSubscription(
    { query: ActivityAddedDocument, variables: { filter } },
    (earlier: Event[] = [], event) => [event.activityAdded, ...earlier].slice(0, LIVE_KEPT),
  );
  const liveEvents = live ?? [];
  const liveIds = useMemo(() => new Set(liveEvents.map((event) => event.id)), [liveEvents]);
  const [pages, setPages] = useState<(string | undefined)[]>([undefined]);
  return (
    <div className="table-scroll activity">
      <table aria-label="Activity">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Action</th>
            <th scope="col">Entry</th>
            <th scope="col">Agent</th>
            <th scope="col">By</th>
            <th scope="col">From</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {liveEvents.map((event) => (
            <EventRow key={event.id} event={event} />
          ))}
        </tbody>
        {pages.map((after, index) => (
          <LogPage
            key={after ?? ""}
            filter={filter}
            after={after}
            hide={liveIds}
            onMore={index === pages.length - 1 ? (cursor) => setPages((old) => [...old, cursor]) : undefined}
          />
        ))}
      </table>
    </div>
  );
}

function LogPage(props: {
  filter: ActivityFilter;
  after: string | undefined;
  hide: Set<string>;
  onMore?: (after: string) => void;
}) {
  const { onMore } = props;
  const [{ data, error, fetching }] = useQuery({
    query: ActivityDocument,
    variables: { filter: props.filter, first: PAGE, after: props.after },
    requestPolicy: "network-only",
  });
  const activity = data?.activity;
  const empty = !props.after && activity?.edges.length === 0;
  return (
    <tbody>
      {activity?.edges
        .filter(({ node }) => !props.hide.has(node.id))
        .map(({ node }) => (
          <EventRow key={node.id} event={node} />
        ))}
      {empty && props.hide.size === 0 ? (
        <NoteRow columns={7}>
          {Object.keys(props.filter).length > 0 ? "No events match." : "Nothing has happened yet."}
        </NoteRow>
      ) : null}
      <PageEnd
        columns={7}
        loading={fetching && !activity}
        error={error}
        more={
          onMore && activity?.pageInfo.hasNextPage && activity.pageInfo.endCursor
            ? { label: "Show older events", show: () => onMore(activity.pageInfo.endCursor as string) }
            : null
        }
      />
    </tbody>
  );
}

/** The import an ENTRIES_IMPORTED event records, which can be undone from its row. */
function importOf(event: Event): string | null {
  if (event.action !== "ENTRIES_IMPORTED" || !event.details) return null;
  try {
    const id = (JSON.parse(event.details) as { importId?: unknown }).importId;
    return typeof id === "string" ? id : null;
  } catch {
    return null;
  }
}

function EventRow({ event }: { event: Event }) {
  const importId = importOf(event);
  const [undoing, setUndoing] = useState(false);
  return (
    <tr>
      <td>
        <When at={event.createdAt} />
      </td>
      <th scope="row">{actionLabel(event.action)}</th>
      <td>{event.entryName ? <code>{event.entryName}</code> : null}</td>
      <td>
        {event.agentId && event.agentName ? <Link to={`/agents/${event.agentId}`}>{event.agentName}</Link> : null}
      </td>
      <td>{actorLabel(event.actor)}</td>
      <td>{event.clientAddress ?? ""}</td>
      <td className="details">
        <Details details={event.details} />
        {importId ? (
          <>
            {" "}
            <button type="button" className="secondary inline-action" onClick={() => setUndoing(true)}>
              Undo import
            </button>
            {undoing ? <UndoImportDialog importId={importId} onClose={() => setUndoing(false)} /> : null}
          </>
        ) : null}
      </td>
    </tr>
  );
}

/** An event's details, a pair at a time: a short pair kept on one line, an id shortened (whole on hover). */
function Details({ details }: { details: string | null | undefined }) {
  return (
    <ul className="detail-pairs">
      {detailPairs(details).map(({ key, value, full }) => (
        <li key={key} className={value.length <= 40 ? "whole" : undefined}>
          <span className="muted">{key}</span> {full ? <code title={full}>{value}</code> : value}
        </li>
      ))}
    </ul>
  );
}

/** "Verify chain": walks the tamper-evident chain and says whether every event matches. */
function ChainCheck() {
  const client = useClient();
  const [checking, setChecking] = useState(false);
  const [answer, setAnswer] = useState<{ ok: boolean; text: string } | null>(null);
  async function check() {
    setChecking(true);
    const result = await client.query(VerifyActivityDocument, {}, { requestPolicy: "network-only" }).toPromise();
    setChecking(false);
    const chain = result.data?.verifyActivity;
    if (!chain) {
      setAnswer({ ok: false, text: result.error?.message.replace(/^\[\w+\] /, "") ?? "No answer from the vault" });
      return;
    }
    setAnswer(
      chain.ok
        ? { ok: true, text: `The chain is intact: ${chain.checked} events checked.` }
        : {
            ok: false,
            text: `Event ${chain.brokenSequence ?? "?"} does not match${chain.reason ? `: ${chain.reason}` : ""}.`,
          },
    );
  }
  return (
    <>
      <button type="button" className="secondary" onClick={check} disabled={checking}>
        Verify chain
      </button>
      {answer ? (
        <span role="status" className={answer.ok ? "ok" : "error"}>
          {answer.text}
        </span>
      ) : null}
    </>
  );
}
