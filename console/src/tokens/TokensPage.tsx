// "Tokens": the API tokens of this user: create (shown once), revoke.

import type { TokenScope } from "@agent-vault/sdk/documents";
import {
  CreateApiTokenDocument,
  CurrentTokenDocument,
  RevokeApiTokenDocument,
  ViewerDocument,
} from "@agent-vault/sdk/documents";
import { scopeName, TOKEN_SCOPES } from "@agent-vault/sdk/scopes";
import { type FormEvent, useState } from "react";
import { useMutation, useQuery } from "urql";
import { ShownOnce } from "../agents/AgentPage.tsx";
import { useConfirm } from "../app/confirm.tsx";
import { useTitle } from "../app/router.tsx";
import { ErrorLine, Field, outcomeOf, When } from "../app/ui.tsx";

/** The two lines that point the CLI (and the SDK's examples) at this vault. */
const shellLines = (token: string) =>
  `export AGENT_VAULT_URL=${window.location.origin}/graphql\nexport AGENT_VAULT_TOKEN=${token}`;

const LIFETIMES: [label: string, days: number | null][] = [
  ["Never (unless this session's token expires first)", null],
  ["In 7 days", 7],
  ["In 30 days", 30],
  ["In 90 days", 90],
  ["In a year", 365],
];

export function TokensPage() {
  useTitle("Tokens");
  const [{ data, error: loadError }, refetch] = useQuery({ query: ViewerDocument });
  const [{ data: current }] = useQuery({ query: CurrentTokenDocument });
  const [{ fetching }, create] = useMutation(CreateApiTokenDocument);
  const [, revoke] = useMutation(RevokeApiTokenDocument);
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<TokenScope[]>(TOKEN_SCOPES);
  const [days, setDays] = useState<number | null>(null);
  const [shown, setShown] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const tokens = data?.viewer.apiTokens ?? [];
  const currentId = current?.viewer.token?.id;
  const confirm = useConfirm();

  async function askToRevoke(token: (typeof tokens)[number]) {
    const active = tokens.filter(
      (other) => !other.revokedAt && (!other.expiresAt || Date.parse(other.expiresAt) > Date.now()),
    );
    const last = active.length === 1 && active[0]?.id === token.id;
    const yes = await confirm({
      title: `Revoke ${token.name}?`,
      body: (
        <>
          <p>Every program signed in with it stops working at once. This cannot be undone.</p>
          {token.id === currentId ? (
            <p>
              <strong>It is the token of this session:</strong> revoking it signs you out of the console.
            </p>
          ) : null}
          {last ? (
            <p>
              <strong>It is your last active token:</strong> without one, only{" "}
              <code>agent-vault user token --user {data?.viewer.name}</code> on the vault's machine lets you in again.
            </p>
          ) : null}
        </>
      ),
      confirmLabel: "Revoke",
      typeToConfirm: last ? token.name : undefined,
    });
    if (!yes) return;
    const outcome = outcomeOf(await revoke({ input: { id: token.id } }), "revokeApiToken");
    setError(outcome.error ?? null);
    refetch({ requestPolicy: "network-only" });
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const expiresAt = days === null ? undefined : new Date(Date.now() + days * 86_400_000).toISOString();
    const input = { name, scopes, expiresAt };
    const outcome = outcomeOf<{ token: string }>(await create({ input }), "createApiToken");
    if (!outcome.ok) {
      setError(outcome.error);
      return;
    }
    setError(null);
    setName("");
    setShown(outcome.data.token);
    refetch({ requestPolicy: "network-only" });
  }

  return (
    <>
      <h1>Tokens</h1>
      <p className="muted">
        API tokens sign in programs (the SDK, the CLI) and this console. A new token may do what this one may.
      </p>
      <form onSubmit={submit} className="inline-form" autoComplete="off">
        <Field label="Token name" value={name} onChange={(event) => setName(event.target.value)} required />
        <div className="field">
          <label htmlFor="token-expiry">Expires</label>
          <select
            id="token-expiry"
            value={days ?? ""}
            onChange={(event) => setDays(event.target.value ? Number(event.target.value) : null)}
          >
            {LIFETIMES.map(([label, value]) => (
              <option key={label} value={value ?? ""}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" disabled={fetching || !name.trim() || scopes.length === 0}>
          Create token
        </button>
        <fieldset className="choices scopes-choice">
          <legend>Scopes (a new token may do only what this one may)</legend>
          {TOKEN_SCOPES.map((scope) => (
            <label key={scope} className="choice">
              <input
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={(event) =>
                  setScopes((now) =>
                    event.target.checked
                      ? TOKEN_SCOPES.filter((s) => s === scope || now.includes(s))
                      : now.filter((s) => s !== scope),
                  )
                }
              />
              <code>{scopeName(scope)}</code>
            </label>
          ))}
        </fieldset>
      </form>
      <ErrorLine error={error ?? loadError?.message} />
      <table className="plain">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Scopes</th>
            <th scope="col">Created</th>
            <th scope="col">Expires</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((token) => (
            <tr key={token.id}>
              <th scope="row">
                {token.name}
                {token.id === currentId ? <span className="muted"> (this session)</span> : null}
              </th>
              <td className="scopes">{token.scopes.join(", ").toLowerCase().replaceAll("_", ":")}</td>
              <td>
                <When at={token.createdAt} />
              </td>
              <td>{token.expiresAt ? <When at={token.expiresAt} /> : <span className="muted">never</span>}</td>
              <td>{token.revokedAt ? "Revoked" : "Active"}</td>
              <td>
                {token.revokedAt ? null : (
                  <button
                    type="button"
                    className="danger"
                    aria-label={`Revoke ${token.name}`}
                    onClick={() => askToRevoke(token)}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <section aria-labelledby="shell-title">
        <h2 id="shell-title">From a shell</h2>
        <p className="muted">
          The CLI reads the vault and a token from two variables (a new token's dialog shows them with the token):
        </p>
        <pre className="command">
          <code>{shellLines("<a token created here>")}</code>
        </pre>
        <p className="muted">
          In the vault's clone, <code>npx agent-vault --help</code> runs it; <code>npm link</code> there puts{" "}
          <code>agent-vault</code> on your PATH.
        </p>
      </section>
      <ShownOnce token={shown} onClose={() => setShown(null)} title="API token" shellLines={shellLines} />
    </>
  );
}
