// One restart-needed notice reaches every subscriber of its user, often a thousand streams with the
// same operation. graphql-js would execute the operation once per subscriber, behind several
// layers of async generators; this plugin takes restartNeeded subscriptions over after yoga has
// parsed, validated and authenticated them, and executes each notice once per distinct operation
// (document, operation name, variables), sharing the result among the subscribers that asked
// for it. Operations it does not recognise take the ordinary path. Over server-sent events, each
// notice is pushed to all of a user's subscribers at once (notice.hub.ts) and written by
// notice.sse.ts, which encodes each shared result once.

import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  type FieldNode,
  getArgumentValues,
  getOperationAST,
  getVariableValues,
} from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { formatScopes } from "../../auth/scopes.ts";
import { type Context, loadersFor } from "../../context.ts";
import type { RestartNotice } from "../../events/events.ts";
import type { NoticeSink } from "./notice.hub.ts";
import type { NoticeStream } from "./notice.service.ts";
import { noticeEventStream } from "./notice.sse.ts";

const FIELD = "restartNeeded";

/**
 * The single root field of a subscription, when it is restartNeeded and nothing else, with the
 * operation's variables coerced; null sends the operation down the ordinary path (which also
 * reports variables that do not coerce).
 */
function restartNeededField(args: ExecutionArgs): { field: FieldNode; variables: Record<string, unknown> } | null {
  const operation = getOperationAST(args.document, args.operationName);
  if (operation?.operation !== "subscription") return null;
  const [selection, ...rest] = operation.selectionSet.selections;
  if (rest.length > 0 || selection?.kind !== "Field" || selection.name.value !== FIELD) return null;
  if (selection.directives?.length) return null;
  const variables = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {});
  if (variables.errors) return null;
  return { field: selection, variables: variables.coerced };
}

const documentIds = new WeakMap<DocumentNode, number>();
let nextDocumentId = 0;

/** Results of one notice, by operation: computed by the first subscriber that needs them. */
const resultsByNotice = new WeakMap<RestartNotice, Map<string, Promise<ExecutionResult>>>();

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

function sharedResult(notice: RestartNotice, args: ExecutionArgs, key: string): Promise<ExecutionResult> {
  const ctx = args.contextValue as Context;
  let results = resultsByNotice.get(notice);
  if (!results) {
    results = new Map();
    resultsByNotice.set(notice, results);
  }
  let result = results.get(key);
  if (!result) {
    // Subscription events execute with the event as the root value, as graphql-js does. The first
    // subscriber's context serves all with the same scopes: a notice only reaches its own user's
    // subscribers, and nothing else of a notice depends on which token asked. Its loaders are
    // new for each notice, so nothing read for an earlier one is served again.
    const contextValue = {
      ...ctx,
      loaders: loadersFor(ctx.services, ctx.viewer),
      written: new WeakSet(),
      suppliedValues: new WeakSet(),
    };
    result = Promise.resolve(execute({ ...args, contextValue, rootValue: notice }));
    results.set(key, result);
  }
  return result;
}

function resultStream(notices: NoticeStream, args: ExecutionArgs): AsyncIterableIterator<ExecutionResult> {
  const key = sharingKeyOf(args);
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      const next = await notices.next();
      if (next.done) return { done: true, value: undefined };
      return { done: false, value: await sharedResult(next.value, args, key) };
    },
    async return() {
      await notices.return();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      await notices.return();
      throw error;
    },
  };
}

export function useSharedNoticeExecution(): Plugin {
  /** HTTP requests whose subscription this plugin took over: how their stream joins the notices. */
  const shared = new WeakMap<Request, (sink: NoticeSink) => () => void>();
  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      const found = restartNeededField(args);
      const definition = args.schema.getSubscriptionType()?.getFields()[FIELD];
      // Without AGENTS_READ the ordinary path answers, with the field's own ForbiddenError.
      const viewer = (args.contextValue as unknown as Context).viewer;
      if (!found || !definition || !viewer.scopes.has("AGENTS_READ")) return;
      const { agentId: agentArg } = getArgumentValues(definition, found.field, found.variables);
      const agentId = agentArg ? String(agentArg) : null;
      const ctx = args.contextValue as unknown as Context;
      // An iterator for transports other than server-sent events (it starts on its first read).
      const notices = ctx.services.notices.stream(ctx.viewer, agentId);
      setResultAndStopExecution(resultStream(notices, args));
      const { request } = args.contextValue as { request?: Request };
      if (!request) return;
      const sharingKey = sharingKeyOf(args);
      shared.set(request, (sink) =>
        ctx.services.notices.join({
          viewer: ctx.viewer,
          agentId,
          sharingKey,
          resultFor: (notice) => sharedResult(notice, args, sharingKey),
          sink,
        }),
      );
    },
    onResultProcess({ request, result, resultProcessor, setResultProcessor }) {
      // Yoga has chosen its processor by the request's Accept header; for a stream of results
      // only server-sent events qualify, and this plugin's writer takes their place.
      const join = shared.get(request);
      if (join && resultProcessor && isAsyncIterable(result)) {
        setResultProcessor((_result, fetchAPI) => noticeEventStream(join, fetchAPI), "text/event-stream");
      }
    },
  };
}
