// An agent's "Usage": its cost and tokens per day over the last 30 days by provider (a chart, and
// the same as a table), and its "Limits", each with a bar of what its window has used, added and
// removed here.
import {
  type AgentLimitFieldsFragment,
  AgentLimitsDocument,
  AgentUsageDocument,
  type LimitWindow,
  RemoveAgentLimitDocument,
  SetAgentLimitDocument,
} from "@agent-vault/sdk/documents";
import { lazy, Suspense, useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import { useConfirm } from "../app/confirm.tsx";
import { Modal } from "../app/modal.tsx";
import { ErrorLine, outcomeOf, When } from "../app/ui.tsx";
import { money } from "./money.ts";

// Loaded only on an agent's page: the first page's JavaScript does not carry a chart library.
const UsageCharts = lazy(() => import("./UsageChart.tsx").then((m) => ({ default: m.UsageCharts })));

const DAY_MS = 86_400_000;
const DAYS = 30;
const PER: Record<LimitWindow, string> = { MINUTE: "minute", HOUR: "hour", DAY: "day", MONTH: "month" };
const providerLabel = (provider: string | null | undefined) =>
  provider === "ANTHROPIC"
    ? "Anthropic"
    : provider === "OPENAI"
      ? "OpenAI"
      : provider === "OPENROUTER"
        ? "OpenRouter"
        : "Other";

/** The last 30 days (UTC), today included: from, to, and each day's start. */
function lastDays() {
  const now = new Date();
  const to = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  const from = to - DAYS * DAY_MS;
  return { from, to, days: Array.from({ length: DAYS }, (_, i) => from + i * DAY_MS) };
}

export function AgentUsage(props: { agentId: string; agentName: string; brokered: { id: string; name: string }[] }) {
  const range = useMemo(lastDays, []);
  const [{ data, error }, refetchUsage] = useQuery({
    query: AgentUsageDocument,
    variables: {
      id: props.agentId,
      from: new Date(range.from).toISOString(),
      to: new Date(range.to).toISOString(),
      bucket: "DAY",
    },
    requestPolicy: "cache-and-network",
  });
  const usage = data?.agent?.usage ?? [];
  const chart = useMemo(() => {
    const providers = [...new Set(usage.map((bucket) => providerLabel(bucket.provider)))].sort();
    const index = new Map(range.days.map((day, i) => [day, i]));
    const empty = () => range.days.map(() => 0);
    const cost = new Map(providers.map((p) => [p, empty()]));
    const tokens = new Map(providers.map((p) => [p, empty()]));
    for (const bucket of usage) {
      const i = index.get(new Date(String(bucket.start)).getTime());
      if (i === undefined) continue;
      const label = providerLabel(bucket.provider);
      const costs = cost.get(label) as number[];
      const counts = tokens.get(label) as number[];
      costs[i] = (costs[i] ?? 0) + bucket.costUsd;
      counts[i] = (counts[i] ?? 0) + bucket.inputTokens + bucket.outputTokens;
    }
    return {
      days: range.days.map((day) => day / 1000),
      cost: providers.map((label) => ({ label, values: cost.get(label) as number[] })),
      tokens: providers.map((label) => ({ label, values: tokens.get(label) as number[] })),
    };
  }, [usage, range]);
  const total = usage.reduce((sum, bucket) => sum + bucket.costUsd, 0);
  return (
    <>
      <section aria-labelledby="usage-title">
        <div className="section-head">
          <h2 id="usage-title">Usage</h2>
          <button type="button" className="secondary" onClick={() => refetchUsage({ requestPolicy: "network-only" })}>
            Refresh usage
          </button>
        </div>
        <ErrorLine error={error?.message} />
        <p className="muted">
          Spent today: <strong>{money(data?.agent?.spentTodayUsd ?? 0)}</strong> · last {DAYS} days: {money(total)} over{" "}
          {usage.reduce((sum, bucket) => sum + bucket.requests, 0)} brokered requests.
        </p>
        {usage.length === 0 ? (
          <p className="empty">No brokered requests in the last {DAYS} days.</p>
        ) : (
          <>
            <Suspense fallback={<p className="muted">Loading the chart…</p>}>
              <UsageCharts days={chart.days} cost={chart.cost} tokens={chart.tokens} />
            </Suspense>
            <details>
              <summary>Usage as a table</summary>
              <div className="scroll-x">
                <table className="plain">
                  <thead>
                    <tr>
                      <th scope="col">Day</th>
                      <th scope="col">Provider</th>
                      <th scope="col">Secret</th>
                      <th scope="col">Requests</th>
                      <th scope="col">Tokens in</th>
                      <th scope="col">Tokens out</th>
                      <th scope="col">Cost</th>
                      <th scope="col">Errors</th>
                      <th scope="col">Unpriced</th>
                    </tr>
                  </thead>
                  <tbody>
                    {usage.map((bucket) => (
                      <tr key={`${bucket.start}|${bucket.provider}|${bucket.secretName}`}>
                        <td>{String(bucket.start).slice(0, 10)}</td>
                        <td>{providerLabel(bucket.provider)}</td>
                        <td>
                          <code>{bucket.secretName}</code>
                        </td>
                        <td>{bucket.requests}</td>
                        <td>{bucket.inputTokens}</td>
                        <td>{bucket.outputTokens}</td>
                        <td>{money(bucket.costUsd)}</td>
                        <td>{bucket.errors}</td>
                        <td>{bucket.unpricedRequests}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </details>
          </>
        )}
      </section>
      <Limits {...props} />
    </>
  );
}

function describe(limit: AgentLimitFieldsFragment): string {
  const parts: string[] = [];
  if (limit.maxRequests != null) parts.push(`${limit.maxRequests} requests`);
  if (limit.maxTokens != null) parts.push(`${limit.maxTokens} tokens`);
  if (limit.maxCostUsd != null) parts.push(money(limit.maxCostUsd));
  return `${parts.join(", ")} per ${PER[limit.window]}${limit.secretName ? ` through ${limit.secretName}` : ""}`;
}

function UsedBar(props: { label: string; used: number; max: number; format: (n: number) => string }) {
  return (
    <div className="used-bar">
      <meter
        min={0}
        max={props.max}
        value={Math.min(props.used, props.max)}
        high={props.max * 0.8}
        optimum={0}
        aria-label={`${props.label} used`}
      />
      <span>
        {props.format(props.used)} of {props.format(props.max)} {props.label}
      </span>
    </div>
  );
}

function Limits(props: { agentId: string; agentName: string; brokered: { id: string; name: string }[] }) {
  const [{ data, error }, refetch] = useQuery({ query: AgentLimitsDocument, variables: { id: props.agentId } });
  const [, remove] = useMutation(RemoveAgentLimitDocument);
  const [adding, setAdding] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const confirm = useConfirm();
  const limits = data?.agent?.limits ?? [];
  const reload = () => refetch({ requestPolicy: "network-only" });
  return (
    <section aria-labelledby="limits-title">
      <div className="section-head">
        <h2 id="limits-title">Limits</h2>
        <button type="button" className="secondary" onClick={() => setAdding(true)}>
          Add limit
        </button>
      </div>
      <p className="muted">
        Over a limit, the vault's broker answers the agent's brokered requests with 429 until the window resets.
      </p>
      <ErrorLine error={error?.message ?? problem} />
      {limits.length === 0 ? <p className="empty">No limits: the agent's brokered requests are not capped.</p> : null}
      <ul className="limits">
        {limits.map((limit) => (
          <li key={limit.id} className="card">
            <div className="section-head">
              <strong>{describe(limit)}</strong>
              <button
                type="button"
                className="danger"
                aria-label={`Remove limit ${describe(limit)}`}
                onClick={async () => {
                  const yes = await confirm({
                    title: "Remove this limit?",
                    body: (
                      <p>
                        {props.agentName}'s brokered requests are no longer capped at {describe(limit)}. Its counts go
                        with it.
                      </p>
                    ),
                    confirmLabel: "Remove limit",
                  });
                  if (!yes) return;
                  const outcome = outcomeOf(await remove({ input: { id: limit.id } }), "removeAgentLimit");
                  setProblem(outcome.error ?? null);
                  reload();
                }}
              >
                Remove
              </button>
            </div>
            {limit.maxRequests != null ? (
              <UsedBar label="requests" used={limit.used.requests} max={limit.maxRequests} format={String} />
            ) : null}
            {limit.maxTokens != null ? (
              <UsedBar label="tokens" used={limit.used.tokens} max={limit.maxTokens} format={String} />
            ) : null}
            {limit.maxCostUsd != null ? (
              <UsedBar label="USD" used={limit.used.costUsd} max={limit.maxCostUsd} format={money} />
            ) : null}
            <p className="muted">
              Resets <When at={limit.resetsAt} />
            </p>
          </li>
        ))}
      </ul>
      <AddLimitDialog
        open={adding}
        agentId={props.agentId}
        brokered={props.brokered}
        onClose={() => setAdding(false)}
        onAdded={reload}
      />
    </section>
  );
}

function AddLimitDialog(props: {
  open: boolean;
  agentId: string;
  brokered: { id: string; name: string }[];
  onClose: () => void;
  onAdded: () => void;
}) {
  const [span, setSpan] = useState<LimitWindow>("DAY");
  const [secretId, setSecretId] = useState("");
  const [requests, setRequests] = useState("");
  const [tokens, setTokens] = useState("");
  const [cost, setCost] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, set] = useMutation(SetAgentLimitDocument);
  const number = (text: string) => (text.trim() === "" ? undefined : Number(text));
  return (
    <Modal
      open={props.open}
      onOpenChange={(open) => open || props.onClose()}
      title="Add limit"
      description="Caps the agent's brokered requests in each window (UTC). Give at least one maximum."
    >
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          const outcome = outcomeOf(
            await set({
              input: {
                agentId: props.agentId,
                secretId: secretId || undefined,
                window: span,
                maxRequests: number(requests),
                maxTokens: number(tokens),
                maxCostUsd: number(cost),
              },
            }),
            "setAgentLimit",
          );
          if (!outcome.ok) {
            setError(outcome.error);
            return;
          }
          setError(null);
          setRequests("");
          setTokens("");
          setCost("");
          props.onAdded();
          props.onClose();
        }}
      >
        <label>
          Window
          <select value={span} onChange={(event) => setSpan(event.target.value as LimitWindow)}>
            <option value="MINUTE">Per minute</option>
            <option value="HOUR">Per hour</option>
            <option value="DAY">Per day</option>
            <option value="MONTH">Per month</option>
          </select>
        </label>
        <label>
          Secret
          <select value={secretId} onChange={(event) => setSecretId(event.target.value)}>
            <option value="">All brokered secrets</option>
            {props.brokered.map((secret) => (
              <option key={secret.id} value={secret.id}>
                {secret.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Maximum requests
          <input inputMode="numeric" value={requests} onChange={(event) => setRequests(event.target.value)} />
        </label>
        <label>
          Maximum tokens
          <input inputMode="numeric" value={tokens} onChange={(event) => setTokens(event.target.value)} />
        </label>
        <label>
          Maximum cost (USD)
          <input inputMode="decimal" value={cost} onChange={(event) => setCost(event.target.value)} />
        </label>
        <ErrorLine error={error} />
        <div className="actions">
          <button type="submit" disabled={fetching}>
            Add limit
          </button>
        </div>
      </form>
    </Modal>
  );
}
