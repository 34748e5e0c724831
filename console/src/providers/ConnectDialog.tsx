// Connecting a provider: its key, or for OpenAI a Codex subscription by OAuth: signed in from here
// (the browser goes to the issuer and comes back to /oauth/openai/callback) when the operator set
// it up, or from a terminal with the CLI (the dialog shows Connected as soon as it finishes).
import type { AiProvider } from "@agent-vault/sdk/documents";
import {
  AiProviderOAuthDocument,
  ConnectAiProviderDocument,
  StartAiProviderOAuthDocument,
} from "@agent-vault/sdk/documents";
import * as Tabs from "@radix-ui/react-tabs";
import { type FormEvent, useEffect, useState } from "react";
import { useMutation, useQuery } from "urql";
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
            <CodexSignIn connected={Boolean(card?.connected && card.method === "OAUTH")} />
          </Tabs.Content>
          <Tabs.Content value="key">{keyForm}</Tabs.Content>
        </Tabs.Root>
      ) : (
        keyForm
      )}
    </Modal>
  );
}

/** The Codex subscription's sign-in: from the console when the operator set it up, and from a terminal. */
function CodexSignIn({ connected }: { connected: boolean }) {
  const [{ data, error: setupError }] = useQuery({ query: AiProviderOAuthDocument });
  const [{ fetching }, start] = useMutation(StartAiProviderOAuthDocument);
  const [brokered, setBrokered] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const setup = data?.aiProviderOAuth;
  async function signIn() {
    setError(null);
    const outcome = outcomeOf<{ authorizationUrl: string }>(
      await start({ input: { provider: "OPENAI", ...(brokered ? { delivery: "BROKERED" as const } : {}) } }),
      "startAiProviderOAuth",
    );
    if (!outcome.ok) return setError(outcome.error);
    // The issuer sends the browser back to this vault's /oauth/openai/callback, which finishes it.
    window.location.assign(outcome.data.authorizationUrl);
  }
  return (
    <div>
      {setup?.configured ? (
        <>
          <p>Sign in with your ChatGPT account. The vault keeps the token and renews it before it expires.</p>
          <label className="choice">
            <input type="checkbox" checked={brokered} onChange={(event) => setBrokered(event.target.checked)} />
            Keep the key in the vault (brokered)
          </label>
          <div className="actions start">
            <button type="button" onClick={signIn} disabled={fetching}>
              Sign in with ChatGPT
            </button>
          </div>
          <ErrorLine error={error} />
        </>
      ) : setup ? (
        <div className="note">
          <p>
            Signing in from the console is not set up on this vault. Its operator sets{" "}
            {setup.missing.map((name) => (
              <code key={name}>{name}</code>
            ))}{" "}
            (the OAuth client registered with {setup.issuer}) and restarts it.
          </p>
        </div>
      ) : (
        <ErrorLine error={setupError?.message.replace(/^\[(GraphQL|Network)\] /, "")} />
      )}
      <p>{setup?.configured ? "Or from a terminal:" : "From a terminal:"}</p>
      <div className="command">
        <code>{OAUTH_COMMAND}</code>
        <CopyButton text={OAUTH_COMMAND} label="Copy command" />
      </div>
      {connected ? (
        <p role="status" className="ok">
          Connected
        </p>
      ) : (
        <p className="muted" role="status">
          Not connected yet: this card turns Connected when a sign-in finishes.
        </p>
      )}
    </div>
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
