// "AI Providers": a card per provider, connected from a dialog (ConnectDialog). Cards follow
// providerStatusChanged live.
import {
  type AiProvider,
  type AiProviderCardFieldsFragment,
  DisconnectAiProviderDocument,
} from "@agent-vault/sdk/documents";
import { useState } from "react";
import { useMutation } from "urql";
import { useDialogs } from "../app/dialogs.tsx";
import { Link } from "../app/router.tsx";
import { ErrorLine, outcomeOf, When } from "../app/ui.tsx";
import { useProviderCards } from "./provider-cards.ts";

export const PROVIDER_NAMES: Record<AiProvider, string> = {
  ANTHROPIC: "Anthropic",
  OPENAI: "OpenAI",
  OPENROUTER: "OpenRouter",
};

export function ProviderCards() {
  const { cards, error, reload } = useProviderCards();
  const { openDialog } = useDialogs();
  return (
    <section aria-labelledby="providers-title">
      <h2 id="providers-title">AI Providers</h2>
      <ErrorLine error={error} />
      <ul className="cards">
        {cards.map((card) => (
          <li key={card.provider}>
            <ProviderCard card={card} onConnect={() => openDialog({ connect: card.provider })} onChanged={reload} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function ProviderCard(props: { card: AiProviderCardFieldsFragment; onConnect: () => void; onChanged: () => void }) {
  const { card } = props;
  const name = PROVIDER_NAMES[card.provider];
  const [, disconnect] = useMutation(DisconnectAiProviderDocument);
  const [error, setError] = useState<{ message: string; agents: { id: string; name: string }[] } | null>(null);
  return (
    <article className="card" aria-labelledby={`provider-${card.provider}`}>
      <header>
        <h3 id={`provider-${card.provider}`}>{name}</h3>
        {card.connected ? <span className={`badge ${card.status.toLowerCase()}`}>{statusLabel(card)}</span> : null}
      </header>
      <p>
        <code>{card.envVar}</code>
      </p>
      {card.connected ? (
        <dl className="facts">
          <dt>Method</dt>
          <dd>{card.method === "OAUTH" ? "Codex Subscription (OAuth)" : "API key"}</dd>
          <dt>Since</dt>
          <dd>
            <When at={card.connectedAt} />
          </dd>
          {card.expiresAt ? (
            <>
              <dt>Expires</dt>
              <dd>
                <When at={card.expiresAt} />
              </dd>
            </>
          ) : null}
          {card.lastError ? (
            <>
              <dt>Last error</dt>
              <dd>{card.lastError}</dd>
            </>
          ) : null}
        </dl>
      ) : (
        <p className="muted">No key yet</p>
      )}
      {error ? (
        <div className="error" role="alert">
          <p>{error.message}</p>
          {error.agents.length ? (
            <ul>
              {error.agents.map((agent) => (
                <li key={agent.id}>
                  <Link to={`/agents/${agent.id}`}>{agent.name}</Link>
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      <div className="actions">
        {card.connected ? (
          <>
            <button type="button" className="secondary" onClick={props.onConnect} aria-label={`Replace ${name} key`}>
              Replace
            </button>
            <button
              type="button"
              className="danger"
              aria-label={`Disconnect ${name}`}
              onClick={async () => {
                const result = await disconnect({ input: { provider: card.provider } });
                const payload = result.data?.disconnectAiProvider;
                if (payload?.__typename === "EntryInUseError") {
                  setError({ message: payload.message, agents: payload.agents });
                  return;
                }
                const outcome = outcomeOf(result, "disconnectAiProvider");
                setError(outcome.error ? { message: outcome.error, agents: [] } : null);
                props.onChanged();
              }}
            >
              Disconnect
            </button>
          </>
        ) : (
          <button type="button" onClick={props.onConnect} aria-label={`Connect ${name}`}>
            Connect
          </button>
        )}
      </div>
    </article>
  );
}

function statusLabel(card: AiProviderCardFieldsFragment): string {
  switch (card.status) {
    case "EXPIRING":
      return "Connected · renewing";
    case "NEEDS_REAUTH":
      return "Sign in again";
    default:
      return "Connected";
  }
}
