// One event reaches every subscriber of its user, often a thousand streams with the same operation.
// graphql-js would execute the operation once per subscriber, behind several layers of async
// generators; this plugin takes over every subscription whose root field reads from a feed
// (feed-field.ts) after yoga has parsed, validated and authenticated it, and executes each event
// once per distinct operation (document, operation name, variables, the token's scopes), sharing
// the result among the subscribers that asked for it. Over server-sent events, each event is pushed
// to all of a user's subscribers at once (events/feeds.ts) and written by shared-event-stream.ts,
// which encodes each shared result once, in yoga's own format (tests/api/notice/notice-fanout.test.ts
// compares the two byte for byte). A subscription it does not take (several root fields, a
// directive, a missing scope) takes the ordinary path: the field's own subscribe, the same feed.

import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  type FieldNode,
  type GraphQLField,
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  locatedError,
  type OperationDefinitionNode,
} from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { formatScopes, type TokenScope } from "../../auth/scopes.ts";
import { type Context, loadersFor } from "../../context.ts";
import type { FeedSink } from "../../events/feeds.ts";
import { type FeedOf, SHARED_FEED } from "./feed-field.ts";
import { sharedEventStream } from "./shared-event-stream.ts";

type Taken = {
  operation: OperationDefinitionNode;
  field: FieldNode;
  definition: GraphQLField<unknown, unknown>;
  variables: Record<string, unknown>;
};

/**
 * The single root field of a subscription, when it reads from a feed, with the operation's
 * variables coerced; null sends the operation down the ordinary path (which also reports
 * variables that do not coerce).
 */
function feedField(args: ExecutionArgs): Taken | null {
  const operation = getOperationAST(args.document, args.operationName);
  if (operation?.operation !== "subscription") return null;
  const [selection, ...rest] = operation.selectionSet.selections;
  if (rest.length > 0 || selection?.kind !== "Field" || selection.directives?.length) return null;
  const definition = args.schema.getSubscriptionType()?.getFields()[selection.name.value];
  if (!definition?.extensions?.[SHARED_FEED]) return null;
  const variables = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {});
  if (variables.errors) return null;
  return { operation, field: selection, definition, variables: variables.coerced };
}

/** Whether the viewer has the field's scope (without it, the ordinary path answers ForbiddenError). */
function mayFollow(definition: GraphQLField<unknown, unknown>, ctx: Context): boolean {
  const scopes = (definition.extensions?.pothosOptions as { authScopes?: Record<string, unknown> })?.authScopes;
  return !scopes || Object.keys(scopes).every((scope) => ctx.viewer.scopes.has(scope as TokenScope));
}

const documentIds = new WeakMap<DocumentNode, number>();
let nextDocumentId = 0;

/** Results of one event, by operation: computed by the first subscriber that needs them. */
const resultsByEvent = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();

/**
 * What makes two subscriptions' results the same: the operation, its variables, and the token's
 * scopes (a field's answer may depend on them: a missing scope is an error in the result).
 * Computed once per subscription.
 */
function sharingKeyOf(args: ExecutionArgs): string {
  let documentId = documentIds.get(args.document);
  if (documentId === undefined) {
    documentId = nextDocumentId++;
    documentIds.set(args.document, documentId);
  }
  const ctx = args.contextValue as Context;
  return `${documentId}\u0000${args.operationName ?? ""}\u0000${JSON.stringify(args.variableValues ?? {})}\u0000${formatScopes(ctx.viewer.scopes)}`;
}

function sharedResult(event: object, args: ExecutionArgs, key: string): Promise<ExecutionResult> {
  const ctx = args.contextValue as Context;
  let results = resultsByEvent.get(event);
  if (!results) {
    results = new Map();
    resultsByEvent.set(event, results);
  }
  let result = results.get(key);
  if (!result) {
    // Subscription events execute with the event as the root value, as graphql-js does. The first
    // subscriber's context serves all with the same scopes: an event only reaches its own user's
    // subscribers, and nothing else of it depends on which token asked. Its loaders are new for
    // each event, so nothing read for an earlier one is served again.
    const contextValue = {
      ...ctx,
      loaders: loadersFor(ctx.services, ctx.viewer),
      written: new WeakSet(),
      suppliedValues: new WeakSet(),
    };
    result = Promise.resolve(execute({ ...args, contextValue, rootValue: event }));
    results.set(key, result);
  }
  return result;
}

function resultStream(
  events: AsyncIterableIterator<object>,
  args: ExecutionArgs,
): AsyncIterableIterator<ExecutionResult> {
  const key = sharingKeyOf(args);
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      const next = await events.next();
      if (next.done) return { done: true, value: undefined };
      return { done: false, value: await sharedResult(next.value, args, key) };
    },
    async return() {
      await events.return?.();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      await events.return?.();
      throw error;
    },
  };
}

export function useSharedSubscriptions(): Plugin {
  /** HTTP requests whose subscription this plugin took over: how their stream joins the feed. */
  const shared = new WeakMap<Request, (sink: FeedSink<ExecutionResult>) => () => void>();
  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      const taken = feedField(args);
      const ctx = args.contextValue as unknown as Context;
      if (!taken || !mayFollow(taken.definition, ctx)) return;
      const feedOf = taken.definition.extensions[SHARED_FEED] as FeedOf<Record<string, unknown>>;
      const spec = feedOf(getArgumentValues(taken.definition, taken.field, taken.variables), ctx);
      // Transports other than server-sent events pull from the feed (joined on the first read).
      setResultAndStopExecution(resultStream(ctx.services.feeds.stream(ctx.viewer, spec), args));
      const { request } = args.contextValue as { request?: Request };
      if (!request) return;
      const sharingKey = sharingKeyOf(args);
      shared.set(request, (sink) =>
        ctx.services.feeds.push(ctx.viewer, spec, {
          sharingKey,
          prepare: (event) => sharedResult(event, args, sharingKey),
          sink: {
            write: (result) => sink.write(result),
            // As yoga reports a stream that ends in an error: located at the operation.
            end: (error) => sink.end(error ? locatedError(error, [taken.operation]) : undefined),
          },
        }),
      );
    },
    onResultProcess({ request, result, resultProcessor, setResultProcessor }) {
      // Yoga has chosen its processor by the request's Accept header; for a stream of results
      // only server-sent events qualify, and this plugin's writer takes their place.
      const join = shared.get(request);
      if (join && resultProcessor && isAsyncIterable(result)) {
        setResultProcessor((_result, fetchAPI) => sharedEventStream(join, fetchAPI), "text/event-stream");
      }
    },
  };
}
