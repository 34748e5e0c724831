// The AI provider cards, kept current by providerStatusChanged.
import { AiProvidersDocument, ProviderStatusChangedDocument } from "@agent-vault/sdk/documents";
import { useCallback, useEffect } from "react";
import { useQuery, useSubscription } from "urql";
import { useData } from "../app/data.tsx";

/** The cards, kept current by providerStatusChanged (a connection made elsewhere shows at once). */
export function useProviderCards() {
  const [{ data, error }, refetch] = useQuery({ query: AiProvidersDocument });
  const [status] = useSubscription({ query: ProviderStatusChangedDocument });
  const { reloadEntries } = useData();
  const reload = useCallback(() => {
    refetch({ requestPolicy: "network-only" });
    reloadEntries();
  }, [refetch, reloadEntries]);
  useEffect(() => {
    if (status.data) reload();
  }, [status.data, reload]);
  return { cards: data?.aiProviders ?? [], error: error?.message, reload };
}
