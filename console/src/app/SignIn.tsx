// Signing in: an API token, pasted once, exchanged for a session cookie. The token lives in this
// form's state only until the exchange, and the field is emptied either way.
import { type FormEvent, useState } from "react";
import { signIn } from "./client.ts";
import { useTitle } from "./router.tsx";
import { ErrorLine, Field, valueInputProps } from "./ui.tsx";

export function SignIn({ onSignedIn, ended }: { onSignedIn: () => void; ended: boolean }) {
  useTitle("Sign in");
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    const pasted = token;
    setToken("");
    try {
      await signIn(pasted);
      onSignedIn();
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  }
  return (
    <main className="sign-in">
      <h1>Agent Vault</h1>
      <form onSubmit={submit} autoComplete="off" className="card">
        <h2>Sign in</h2>
        {ended && !error ? <p className="muted">Your session has ended. Sign in again.</p> : null}
        <Field
          label="API token"
          {...valueInputProps(true)}
          value={token}
          onChange={(event) => setToken(event.target.value)}
          required
          placeholder="avt_..."
          hint={
            <>
              The token <code>npm start</code> printed on the first start, or one from{" "}
              <code>agent-vault tokens create</code>. It is exchanged for a session; the console does not keep it.
            </>
          }
        />
        <ErrorLine error={error} />
        <div className="actions">
          <button type="submit" disabled={busy || !token.trim()}>
            Sign in
          </button>
        </div>
      </form>
      <p className="muted">
        Or use the API in <a href="/graphql">GraphiQL</a>.
      </p>
    </main>
  );
}
