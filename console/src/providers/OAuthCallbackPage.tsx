// Where the OAuth issuer sends the browser back (/oauth/openai/callback?code=…&state=…): the page
// hands the whole address to the vault in this console session, which exchanges the code and
// connects OpenAI. The code and state leave the address bar at once.
import { FinishAiProviderOAuthDocument } from "@agent-vault/sdk/documents";
import { useEffect, useRef, useState } from "react";
import { useMutation } from "urql";
import { Link, useTitle } from "../app/router.tsx";
import { outcomeOf } from "../app/ui.tsx";

type Outcome = { ok: true; secret: string } | { ok: false; error: string };

export function OAuthCallbackPage() {
  useTitle("Connect OpenAI");
  const [, finish] = useMutation(FinishAiProviderOAuthDocument);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const callbackUrl = window.location.href;
    window.history.replaceState(null, "", window.location.pathname);
    finish({ input: { callbackUrl } }).then((answer) => {
      const result = outcomeOf<{ secret?: { name: string } | null }>(answer, "finishAiProviderOAuth");
      setOutcome(
        result.ok
          ? { ok: true, secret: result.data.secret?.name ?? "OPENAI_OAUTH_TOKEN" }
          : { ok: false, error: result.error },
      );
    });
  }, [finish]);
  return (
    <>
      <h1>Connect OpenAI</h1>
      {!outcome ? (
        <p role="status" className="muted">
          Finishing the sign-in…
        </p>
      ) : outcome.ok ? (
        <p role="status" className="ok">
          OpenAI is connected through your Codex subscription: its token is in <code>{outcome.secret}</code>, and the
          vault renews it.
        </p>
      ) : (
        <p role="alert" className="error">
          Not connected: {outcome.error}
        </p>
      )}
      <p>
        <Link to="/">Back to the Secrets Vault</Link>
      </p>
    </>
  );
}
