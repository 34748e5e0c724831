// A subscription field that reads from a user's feed (events/feeds.ts): its subscribe, and the same
// spec for the shared execution of subscriptions (shared-subscriptions.ts), declared once.
import type { Context } from "../../context.ts";
import type { FeedName } from "../../events/events.ts";
import type { FeedSubscription } from "../../events/feeds.ts";

/** What a subscription field's arguments follow, for this request. */
export type FeedOf<Args> = (args: Args, ctx: Context) => FeedSubscription<FeedName>;

/** The extension key under which a field declares its feed. */
export const SHARED_FEED = "sharedFeed";

/** `subscribe` and `extensions` of a field whose events come from `feedOf`. */
export function feedField<Args>(feedOf: FeedOf<Args>) {
  return {
    subscribe: (_root: unknown, args: Args, ctx: Context) => ctx.services.feeds.stream(ctx.viewer, feedOf(args, ctx)),
    extensions: { [SHARED_FEED]: feedOf },
  };
}
