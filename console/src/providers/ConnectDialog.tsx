// Connecting a provider: its key, or for OpenAI a Codex subscription through the CLI's OAuth
// sign-in (the dialog shows Connected as soon as the CLI finishes).
import type { AiProvider } from "@agent-vault/sdk/documents";
import { ConnectAiProviderDocument } from "@agent-vault/sdk/documents";
import * as Tabs from "@radix-ui/react-tabs";
import { type FormEvent, useEffect, useState } from "react";
import { useMutation } from "urql";
import { Modal } from "../app/modal.tsx";
import { CopyButton, ErrorLine, Field, outcomeOf, valueInputProps } from "../app/ui.tsx";
import { PROVIDER_NAMES } from "./ProviderCards.tsx";
import { useProviderCards } from "./provider-cards.ts";

export const OAUTH_COMMAND = "agent-vault auth openai --oauth";

export function ConnectDialog(props: { provider: AiProvider | null; onClose: () => void }) {
  const { provider } = props;
  const { cards, reload } = useProviderCards();
  const card = cards.find((card) => card.provider === provider);
  // Which agents a new key affects is read afresh: attachments change elsewhere too.
  // biome-ignore lint/correctness/useExhaustiveDependencies: opening the dialog is the trigger
  useEffect(() => {
    if (provider) reload();
  }, [provider]);
  const name = provider ? PROVIDER_NAMES[provider] : "";
  const open = provider !== null;
  const keyForm = provider ? <KeyForm provider={provider} onClose={props.onClose} onConnected={reload} /> : null;
  return (
    <Modal
      open={open}
      onOpenChange={(next) => next || props.onClose()}
      title={`Connect ${name}`}
      description={card?.connected && card.secret ? replacing(card.secret) : undefined}
    >
      {provider === "OPENAI" ? (
        <Tabs.Root defaultValue="codex" className="tabs">
          <Tabs.List aria-label="How to connect OpenAI">
            <Tabs.Trigger value="codex">Codex Subscription</Tabs.Trigger>
            <Tabs.Trigger value="key">API Key</Tabs.Trigger>
          </Tabs.List>
          <Tabs.Content value="codex">
            <p>Sign in with your ChatGPT account from a terminal; this card turns Connected when it finishes.</p>
            <div className="command">
              <code>{OAUTH_COMMAND}</code>
              <CopyButton text={OAUTH_COMMAND} label="Copy command" />
            </div>
            {card?.connected && card.method === "OAUTH" ? (
              <p role="status" className="ok">
                Connected
              </p>
            ) : (
              <p className="muted" role="status">
                Waiting for the sign-in…
              </p>
            )}
          </Tabs.Content>
          <Tabs.Content value="key">{keyForm}</Tabs.Content>
        </Tabs.Root>
      ) : (
        keyForm
      )}
    </Modal>
  );
}

/** Who a new key affects: the agents using the one it replaces. */
function replacing(secret: { name: string; usedBy: { name: string }[] }) {
  const agents = secret.usedBy.map((agent) => agent.name);
  if (agents.length === 0) return `This replaces the key in ${secret.name}; no agent uses it yet.`;
  const who = agents.length === 1 ? `agent ${agents[0]}` : `agents ${agents.join(", ")}`;
  return `This replaces the key in ${secret.name}, which ${who} ${agents.length === 1 ? "uses" : "use"}: ${
    agents.length === 1 ? "it gets" : "they get"
  } the new key when ${agents.length === 1 ? "it restarts" : "they restart"}.`;
}

function KeyForm(props: { provider: AiProvider; onClose: () => void; onConnected: () => void }) {
  const [credential, setCredential] = useState("");
  const [brokered, setBrokered] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, connect] = useMutation(ConnectAiProviderDocument);
  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await connect({
      input: { provider: props.provider, credential, ...(brokered ? { delivery: "BROKERED" as const } : {}) },
    });
    const outcome = outcomeOf(result, "connectAiProvider");
    setCredential("");
    if (!outcome.ok) {
      setError(outcome.error);
      return;
    }
    props.onConnected();
    props.onClose();
  }
  return (
    <form onSubmit={submit}>
      <Field
        label="API key"
        {...valueInputProps(true)}
        value={credential}
        onChange={(event) => setCredential(event.target.value)}
        required
        hint="Stored encrypted. It cannot be viewed after saving."
      />
      <label className="choice">
        <input type="checkbox" checked={brokered} onChange={(event) => setBrokered(event.target.checked)} />
        Keep the key in the vault (brokered)
      </label>
      {brokered ? (
        <p className="hint">
          Agents get a placeholder and the provider's base URL pointing at this vault, which adds the key to their
          requests to the provider. They never hold it.
        </p>
      ) : null}
      <ErrorLine error={error} />
      <div className="actions">
        <button type="submit" disabled={fetching || !credential}>
          Connect
        </button>
      </div>
    </form>
  );
}
