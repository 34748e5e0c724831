// An entry's history from its "…" menu: every kept version (a secret's by fingerprint only, a
// variable's with its value), who saved it and when, and "Restore" to make a chosen one current
// again as a new version.
import {
  type EntryVersionFieldsFragment,
  EntryVersionsDocument,
  RestoreEntryVersionDocument,
} from "@agent-vault/sdk/documents";
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { actorLabel } from "../activity/actor.ts";
import { type EntryRow, useData } from "../app/data.tsx";
import { Modal } from "../app/modal.tsx";
import { PageEnd } from "../app/page-rows.tsx";
import { ErrorLine, outcomeOf, When } from "../app/ui.tsx";

const PAGE = 50;

export function HistoryDialog(props: { entry: EntryRow | null; onClose: () => void }) {
  const { entry } = props;
  return (
    <Modal
      open={entry !== null}
      onOpenChange={(open) => open || props.onClose()}
      title={entry ? `History of ${entry.name}` : ""}
      description={
        entry?.kind === "SECRET"
          ? "Every kept version, by fingerprint: a secret's values are never shown. Restoring makes a new version."
          : "Every kept version. Restoring makes a new version."
      }
      wide
    >
      {entry ? <Versions key={entry.id} entry={entry} /> : null}
    </Modal>
  );
}

function Versions({ entry }: { entry: EntryRow }) {
  const { putEntry, reloadAgents } = useData();
  const [pages, setPages] = useState<(string | undefined)[]>([undefined]);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  // The version a restore expects to replace: the entry's as listed, then each restore's.
  const [currentVersion, setCurrentVersion] = useState(entry.version);
  const [{ fetching: restoring }, restore] = useMutation(RestoreEntryVersionDocument);
  const secret = entry.kind === "SECRET";

  async function restoreVersion(version: EntryVersionFieldsFragment) {
    const outcome = outcomeOf<EntryRow>(
      await restore({ input: { id: entry.id, version: version.version, expectedVersion: currentVersion } }),
      "restoreEntryVersion",
    );
    if (!outcome.ok) {
      setStatus(null);
      setError(outcome.error);
      return;
    }
    setError(null);
    setStatus(`Version ${version.version} restored as version ${outcome.data.version}.`);
    setCurrentVersion(outcome.data.version);
    putEntry(outcome.data);
    if (outcome.data.usedByCount > 0) reloadAgents();
    setPages([undefined]);
    setGeneration((n) => n + 1);
  }

  return (
    <div>
      <div className="history-scroll">
        <table className="plain">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">{secret ? "Fingerprint" : "Value"}</th>
              <th scope="col">Saved</th>
              <th scope="col">By</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          {pages.map((after, index) => (
            <VersionsPage
              key={`${generation}:${after ?? ""}`}
              entry={entry}
              after={after}
              restoring={restoring}
              onRestore={restoreVersion}
              onMore={index === pages.length - 1 ? (cursor) => setPages((old) => [...old, cursor]) : undefined}
            />
          ))}
        </table>
      </div>
      <ErrorLine error={error} />
      {status ? (
        <p role="status" className="ok">
          {status}
        </p>
      ) : null}
    </div>
  );
}

function VersionsPage(props: {
  entry: EntryRow;
  after: string | undefined;
  restoring: boolean;
  onRestore: (version: EntryVersionFieldsFragment) => void;
  onMore?: (after: string) => void;
}) {
  const { entry, onMore } = props;
  const [{ data, error, fetching }] = useQuery({
    query: EntryVersionsDocument,
    variables: { id: entry.id, first: PAGE, after: props.after },
    requestPolicy: "network-only",
  });
  const versions = data?.entry?.versions;
  return (
    <tbody>
      {versions?.edges.map(({ node: version }) => (
        <tr key={version.version}>
          <th scope="row">
            v{version.version}
            {version.current ? <span className="muted"> (current)</span> : null}
          </th>
          <td className="value">
            <code className={entry.kind === "SECRET" ? "muted" : undefined}>
              {entry.kind === "SECRET" ? version.fingerprint : (version.value ?? "")}
            </code>
          </td>
          <td>
            <When at={version.createdAt} />
          </td>
          <td>{actorLabel(version.actor)}</td>
          <td>
            {version.current ? null : (
              <button
                type="button"
                className="secondary"
                aria-label={`Restore version ${version.version}`}
                disabled={props.restoring}
                onClick={() => props.onRestore(version)}
              >
                Restore
              </button>
            )}
          </td>
        </tr>
      ))}
      <PageEnd
        columns={5}
        loading={fetching && !versions}
        error={error}
        more={
          onMore && versions?.pageInfo.hasNextPage && versions.pageInfo.endCursor
            ? { label: "Show older versions", show: () => onMore(versions.pageInfo.endCursor as string) }
            : null
        }
      />
    </tbody>
  );
}
