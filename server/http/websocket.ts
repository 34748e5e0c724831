// GraphQL over WebSocket (graphql-ws) on the same address as HTTP, for subscriptions. The token
// comes in the connection parameters: { authorization: "Bearer avt_..." }, and is checked when
// the connection opens (a bad one closes it with 4403) and again by every operation.
//
// Frames are bounded like HTTP bodies, and before a connection is authenticated to a few KiB:
// ws has one limit per server, so the connection's own receiver is given the smaller one until
// graphql-ws acknowledges it (tests/api/http/hardening.test.ts proves both limits hold).
import type { IncomingMessage, Server } from "node:http";
import type { ExecutionArgs, GraphQLError } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { type WebSocket, WebSocketServer } from "ws";
import type { App } from "../app.ts";
import { AuthenticationError, type Authenticator } from "../auth/authenticate.ts";

type Enveloped = ReturnType<App["getEnveloped"]>;
type Args = ExecutionArgs & { rootValue: { execute: Enveloped["execute"]; subscribe: Enveloped["subscribe"] } };

/** The largest frame before a connection is authenticated: a connection_init with a token fits. */
export const UNAUTHENTICATED_FRAME_BYTES = 4096;

type Receiver = { _maxPayload: number };
const receiverOf = (socket: WebSocket) => (socket as unknown as { _receiver?: Receiver })._receiver;

export type WebSocketOptions = {
  maxFrameBytes: number;
  authenticate: Authenticator;
  addressOf: (request: IncomingMessage) => string;
};

export function attachWebSocket(server: Server, yoga: App, options: WebSocketOptions): WebSocketServer {
  const sockets = new WebSocketServer({ server, path: yoga.graphqlEndpoint, maxPayload: options.maxFrameBytes });
  sockets.on("connection", (socket) => {
    const receiver = receiverOf(socket);
    if (receiver) receiver._maxPayload = UNAUTHENTICATED_FRAME_BYTES;
  });
  useServer(
    {
      execute: (args) => (args as Args).rootValue.execute(args),
      subscribe: (args) => (args as Args).rootValue.subscribe(args),
      onConnect: async (ctx) => {
        try {
          await options.authenticate.api({
            authorization: ctx.connectionParams?.authorization as string | undefined,
            address: options.addressOf(ctx.extra.request),
          });
        } catch (error) {
          if (error instanceof AuthenticationError) return false;
          throw error;
        }
        const receiver = receiverOf(ctx.extra.socket);
        if (receiver) receiver._maxPayload = options.maxFrameBytes;
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const enveloped = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
        });
        // Parsing and validation apply the same limits as HTTP (depth, tokens...): a refused
        // operation is an error for that operation, never a reason to close the socket.
        try {
          const document = enveloped.parse(payload.query);
          const errors = enveloped.validate(enveloped.schema, document);
          if (errors.length > 0) return errors;
          const args: Args = {
            schema: enveloped.schema,
            operationName: payload.operationName,
            document,
            variableValues: payload.variables,
            contextValue: await enveloped.contextFactory(),
            rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
          };
          return args;
        } catch (error) {
          return [error as GraphQLError];
        }
      },
    },
    sockets,
  );
  return sockets;
}
