// The console: signed out, the sign-in form; signed in, the pages, the command palette, the
// dialogs every page can open, and live restart banners.
import { type ReactNode, Suspense, useCallback, useEffect, useMemo, useState } from "react";
import { Provider as UrqlProvider } from "urql";
import { LeakBanners } from "../live/LeakBanners.tsx";
import { RestartBanners } from "../live/RestartBanners.tsx";
import { PaletteShortcut } from "../palette/PaletteShortcut.tsx";
import { VaultPage } from "../vault/VaultPage.tsx";
import { CSRF_HEADER, createConsoleClient, signOut } from "./client.ts";
import { ConfirmProvider } from "./confirm.tsx";
import { DataProvider } from "./data.tsx";
import { DialogsProvider, useDialogs } from "./dialogs.tsx";
import { later, loadLaterWhenIdle } from "./later.ts";
import { Link, navigate, usePath } from "./router.tsx";
import { SignIn } from "./SignIn.tsx";

// The Secrets Vault page loads first; other pages and the dialogs load when first wanted.
const AgentsPage = later(() => import("../agents/AgentsPage.tsx").then((m) => m.AgentsPage));
const AgentPage = later(() => import("../agents/AgentPage.tsx").then((m) => m.AgentPage));
const ActivityPage = later(() => import("../activity/ActivityPage.tsx").then((m) => m.ActivityPage));
const TokensPage = later(() => import("../tokens/TokensPage.tsx").then((m) => m.TokensPage));
const OAuthCallbackPage = later(() => import("../providers/OAuthCallbackPage.tsx").then((m) => m.OAuthCallbackPage));
const AppDialogs = later(() => import("./AppDialogs.tsx").then((m) => m.AppDialogs));

type Session = "checking" | "signed-in" | "signed-out" | "ended";

async function hasSession(): Promise<boolean> {
  const response = await fetch("/graphql", {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", ...CSRF_HEADER },
    body: JSON.stringify({ query: "{ viewer { id } }" }),
  });
  return response.ok;
}

export function App() {
  const [session, setSession] = useState<Session>("checking");
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    hasSession().then(
      (yes) => setSession(yes ? "signed-in" : "signed-out"),
      () => setSession("signed-out"),
    );
  }, []);
  const ended = useCallback(() => setSession("ended"), []);
  // A new client (and an empty cache) for every session.
  // biome-ignore lint/correctness/useExhaustiveDependencies: generation is the trigger
  const client = useMemo(() => createConsoleClient(ended), [ended, generation]);

  if (session === "checking") return null;
  if (session !== "signed-in") {
    return (
      <SignIn
        ended={session === "ended"}
        onSignedIn={() => {
          setGeneration((n) => n + 1);
          setSession("signed-in");
        }}
      />
    );
  }
  return (
    <UrqlProvider value={client}>
      <DataProvider>
        <DialogsProvider>
          <ConfirmProvider>
            <Shell
              onSignOut={async () => {
                await signOut();
                setGeneration((n) => n + 1);
                setSession("signed-out");
                navigate("/");
              }}
            />
          </ConfirmProvider>
        </DialogsProvider>
      </DataProvider>
    </UrqlProvider>
  );
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const path = usePath();
  useEffect(loadLaterWhenIdle, []);
  const agentId = /^\/agents\/([^/]+)$/.exec(path)?.[1];
  let page: ReactNode;
  if (path === "/agents") page = <AgentsPage />;
  else if (agentId) page = <AgentPage key={agentId} id={decodeURIComponent(agentId)} />;
  else if (path === "/activity") page = <ActivityPage />;
  else if (path === "/tokens") page = <TokensPage />;
  else if (path === "/oauth/openai/callback") page = <OAuthCallbackPage />;
  else page = <VaultPage />;
  const mac = /Mac|iPhone|iPad/.test(navigator.platform);
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand">
          Agent Vault
        </Link>
        <nav aria-label="Main">
          <NavLink to="/" path={path} label="Secrets Vault" />
          <NavLink to="/agents" path={path} label="Agents" />
          <NavLink to="/activity" path={path} label="Activity" />
          <NavLink to="/tokens" path={path} label="Tokens" />
          <a href="/graphql">GraphiQL</a>
        </nav>
        <span className="muted shortcut" aria-hidden="true">
          {mac ? "⌘K" : "Ctrl+K"}
        </span>
        <button type="button" className="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <LeakBanners />
      <RestartBanners />
      <main id="main">
        <Suspense fallback={<p className="muted">Loading…</p>}>{page}</Suspense>
      </main>
      <PaletteShortcut />
      <OpenDialogs />
    </>
  );
}

function NavLink({ to, path, label }: { to: string; path: string; label: string }) {
  const current = to === "/" ? path === "/" : path.startsWith(to);
  return (
    <Link to={to} aria-current={current ? "page" : undefined}>
      {label}
    </Link>
  );
}

/** The dialogs, from the first one opened on (closing one returns focus to what opened it). */
function OpenDialogs() {
  const { dialog } = useDialogs();
  const [wanted, setWanted] = useState(false);
  if (dialog && !wanted) setWanted(true);
  return wanted ? (
    <Suspense fallback={null}>
      <AppDialogs />
    </Suspense>
  ) : null;
}
