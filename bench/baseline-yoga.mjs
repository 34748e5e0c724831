// The baseline of the hot paths' figures: { hello } on a reference graphql-yoga server with its
// default options (the same yoga version as the vault's), in its own process, so that no change
// to the vault can move the baseline it is measured against. Prints its port.
import { createServer } from "node:http";
import { createSchema, createYoga } from "graphql-yoga";

const yoga = createYoga({
  schema: createSchema({
    typeDefs: "type Query { hello: String! }",
    resolvers: { Query: { hello: () => "Hello from a reference graphql-yoga server" } },
  }),
});
const server = createServer(yoga);
server.listen(0, "127.0.0.1", () => process.stdout.write(String(server.address().port)));
