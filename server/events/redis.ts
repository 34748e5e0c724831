// Events through Redis, so that every server instance delivers every notice and restart
// command. ioredis reconnects by itself and subscribes again; while Redis is away, queries and
// mutations go on, and what is published waits in ioredis's offline queue.
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import type { TypedEventTarget } from "@graphql-yoga/typed-event-target";
import { Redis } from "ioredis";

export type RedisEvents = { target: TypedEventTarget<CustomEvent>; close(): void };

export function redisEventTarget(url: string, warn: (line: string) => void): RedisEvents {
  const options = { maxRetriesPerRequest: null, enableAutoPipelining: true };
  const publishClient = new Redis(url, options);
  const subscribeClient = new Redis(url, options);
  let lastWarning = 0;
  const onError = (error: Error) => {
    // Reconnection attempts fail every few hundred milliseconds while Redis is down: say it once
    // in a while, not each time.
    if (Date.now() - lastWarning > 10_000) {
      lastWarning = Date.now();
      warn(`Redis is unreachable (${error.message}); retrying`);
    }
  };
  publishClient.on("error", onError);
  subscribeClient.on("error", onError);
  const report = (error: unknown) => onError(error instanceof Error ? error : new Error(String(error)));

  // The event target does not wait on these promises: a rejection must not go unhandled.
  const publisher = {
    publish: (channel: string, message: string) => publishClient.publish(channel, message).catch(report),
  };
  const subscriber = {
    on: (event: "message", listener: (channel: string, message: string) => void) => subscribeClient.on(event, listener),
    subscribe: (channel: string) => subscribeClient.subscribe(channel).catch(report),
    unsubscribe: (channel: string) => subscribeClient.unsubscribe(channel).catch(report),
  };
  const target = createRedisEventTarget({
    publishClient: publisher as unknown as Redis,
    subscribeClient: subscriber as unknown as Redis,
  }) as unknown as TypedEventTarget<CustomEvent>;
  return {
    target,
    close() {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
