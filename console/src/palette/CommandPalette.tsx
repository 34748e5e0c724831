// The command palette (PaletteShortcut opens it): actions, and a jump to any agent or entry by
// name. It searches names, never values.
import { RestartAgentDocument } from "@agent-vault/sdk/documents";
import { Command } from "cmdk";
import { type ReactNode, useState } from "react";
import { useMutation } from "urql";
import { restartRequest } from "../agents/restart-request.tsx";
import { useConfirm } from "../app/confirm.tsx";
import { useData } from "../app/data.tsx";
import { useDialogs } from "../app/dialogs.tsx";
import { navigate } from "../app/router.tsx";

/** Entries shown at most while the search is empty or broad: a long list helps nobody. */
const MAX_ENTRIES = 50;

export function CommandPalette({
  open,
  onOpenChange: setOpen,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
}) {
  const [search, setSearch] = useState("");
  const { agents, entries, reloadAgents } = useData();
  const { openDialog, setEntrySearch } = useDialogs();
  const [, restart] = useMutation(RestartAgentDocument);
  const confirm = useConfirm();

  const run = (action: () => void) => () => {
    setOpen(false);
    setSearch("");
    action();
  };
  const query = search.trim().toUpperCase();
  const matchingEntries = query
    ? entries.rows.filter((entry) => entry.name.toUpperCase().includes(query)).slice(0, MAX_ENTRIES)
    : entries.rows.slice(0, 10);

  return (
    <Command.Dialog
      open={open}
      onOpenChange={setOpen}
      label="Command palette"
      overlayClassName="overlay"
      contentClassName="palette"
      shouldFilter={false}
    >
      <Command.Input
        value={search}
        onValueChange={setSearch}
        placeholder="Type a command, an agent or an entry…"
        aria-label="Search commands, agents and entries"
      />
      <Command.List>
        <Command.Empty>Nothing matches.</Command.Empty>
        <Group heading="Actions" query={query}>
          {(
            [
              ["Connect Anthropic", () => openDialog({ connect: "ANTHROPIC" })],
              ["Connect OpenAI", () => openDialog({ connect: "OPENAI" })],
              ["Connect OpenRouter", () => openDialog({ connect: "OPENROUTER" })],
              ["Add Secret", () => openDialog({ add: "SECRET" })],
              ["Add Variable", () => openDialog({ add: "VARIABLE" })],
              ["Import .env file", () => openDialog({ import: true })],
              ["Create agent", () => openDialog({ createAgent: true })],
              ...agents.rows.map(
                (agent) =>
                  [
                    `Restart ${agent.name}`,
                    async () => {
                      const changes = agent.pendingChanges.map((c) => `${c.name} ${c.change.toLowerCase()}`);
                      if (!(await confirm(restartRequest(agent.name, changes)))) return;
                      await restart({ input: { agentId: agent.id } });
                      reloadAgents();
                    },
                  ] as const,
              ),
            ] as [string, () => void][]
          )
            .filter(([label]) => !query || label.toUpperCase().includes(query))
            .map(([label, action]) => (
              <Command.Item key={label} value={label} onSelect={run(action)}>
                {label}
              </Command.Item>
            ))}
        </Group>
        <Group heading="Go to" query={query}>
          {[
            ["Secrets Vault", "/"],
            ["Agents", "/agents"],
            ["Activity", "/activity"],
            ["Tokens", "/tokens"],
          ]
            .filter(([label]) => !query || (label as string).toUpperCase().includes(query))
            .map(([label, to]) => (
              <Command.Item key={to} value={`go ${to}`} onSelect={run(() => navigate(to as string))}>
                {label}
              </Command.Item>
            ))}
        </Group>
        <Group heading="Agents" query={query}>
          {agents.rows
            .filter((agent) => !query || agent.name.toUpperCase().includes(query))
            .map((agent) => (
              <Command.Item
                key={agent.id}
                value={`agent ${agent.id}`}
                onSelect={run(() => navigate(`/agents/${agent.id}`))}
              >
                {agent.name}
                {agent.restartRequired ? <span className="muted"> · Restart required</span> : null}
              </Command.Item>
            ))}
        </Group>
        <Group heading="Entries" query={query}>
          {matchingEntries.map((entry) => (
            <Command.Item
              key={entry.id}
              value={`entry ${entry.id}`}
              onSelect={run(() => {
                setEntrySearch(entry.name);
                navigate("/");
              })}
            >
              <code>{entry.name}</code>
              <span className="muted"> {entry.kind === "SECRET" ? "secret" : "variable"}</span>
            </Command.Item>
          ))}
        </Group>
      </Command.List>
    </Command.Dialog>
  );
}

function Group({ heading, children }: { heading: string; query: string; children: ReactNode[] }) {
  if (children.length === 0) return null;
  return <Command.Group heading={heading}>{children}</Command.Group>;
}
