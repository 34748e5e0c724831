// Live leak notices (secretLeaked, over server-sent events): a banner for each secret the broker
// found in an agent's request, with what it did about it. Never the value: the vault never sends it.
import { SecretLeakedDocument } from "@agent-vault/sdk/documents";
import { useEffect, useState } from "react";
import { useSubscription } from "urql";
import { Link } from "../app/router.tsx";

type Banner = {
  key: string;
  agentId: string;
  agentName: string;
  secretName: string;
  upstreamHost: string;
  outcome: string;
  count: number;
};

const OUTCOME_WORDS: Record<string, string> = {
  BLOCKED: "blocked: nothing was sent",
  REDACTED: "sent with the value redacted",
  SEEN: "sent as it was (the vault's leak policy only records): rotate the secret",
};

export function LeakBanners() {
  const [{ data }] = useSubscription({ query: SecretLeakedDocument, variables: {} });
  const [banners, setBanners] = useState<Banner[]>([]);
  const notice = data?.secretLeaked;

  useEffect(() => {
    if (!notice) return;
    const key = `${notice.agent.id}:${notice.secretName}:${notice.upstreamHost}:${notice.outcome}`;
    setBanners((old) => {
      const previous = old.find((banner) => banner.key === key);
      const others = old.filter((banner) => banner.key !== key);
      return [
        ...others,
        {
          key,
          agentId: notice.agent.id,
          agentName: notice.agent.name,
          secretName: notice.secretName,
          upstreamHost: notice.upstreamHost,
          outcome: notice.outcome,
          count: (previous?.count ?? 0) + 1,
        },
      ];
    });
  }, [notice]);

  if (banners.length === 0) return null;
  return (
    <section aria-label="Leak notices" className="banners">
      {banners.map((banner) => (
        <div key={banner.key} className="banner danger" role="alert">
          <p>
            <strong>
              <Link to={`/agents/${banner.agentId}`}>{banner.agentName}</Link> sent the value of {banner.secretName}
            </strong>{" "}
            in a request to {banner.upstreamHost}
            {banner.count > 1 ? ` (${banner.count} times)` : ""}: {OUTCOME_WORDS[banner.outcome] ?? banner.outcome}.
          </p>
          <div className="actions">
            <button
              type="button"
              className="secondary"
              aria-label={`Dismiss the leak notice about ${banner.secretName}`}
              onClick={() => setBanners((old) => old.filter((other) => other.key !== banner.key))}
            >
              Dismiss
            </button>
          </div>
        </div>
      ))}
    </section>
  );
}
