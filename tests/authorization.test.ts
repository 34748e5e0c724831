// The authorization walk: every query, mutation and subscription field of the schema, read from
// the schema itself so that new fields are covered without editing this test, called as
// anonymous, as user A, as user B with A's ids, with a runtime token and with a revoked token.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, query } from "./helpers/operations.ts";
import { startTestVault, type TestVault } from "./helpers/test-vault.ts";

type TypeRef = { kind: string; name: string | null; ofType: TypeRef | null };
type Arg = { name: string; type: TypeRef };
type Field = { name: string; args: Arg[]; type: TypeRef };
type FullType = { name: string; kind: string; inputFields: Arg[] | null; enumValues: { name: string }[] | null };

const TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";
const INTROSPECTION = `{ __schema {
  queryType { name } mutationType { name } subscriptionType { name }
  types { name kind fields { name type { ${TYPE_REF} } args { name type { ${TYPE_REF} } } }
    inputFields { name type { ${TYPE_REF} } } enumValues { name } } } }`;

let t: TestVault;
let types: Map<string, FullType & { fields: Field[] | null }>;
let roots: { operation: "query" | "mutation" | "subscription"; field: Field }[];
const ids = { agent: "", secret: "", variable: "", token: "" };
let tokens: Record<string, string | null>;
let counter = 0;

const named = (ref: TypeRef): TypeRef => (ref.ofType ? named(ref.ofType) : ref);
const required = (ref: TypeRef) => ref.kind === "NON_NULL";

function idFor(argName: string, fieldName: string, idsToUse: typeof ids): string {
  const name = `${fieldName}.${argName}`.toLowerCase();
  if (argName.toLowerCase().includes("agent")) return idsToUse.agent;
  if (name.includes("apitoken")) return idsToUse.token;
  if (name.includes("variable")) return idsToUse.variable;
  return idsToUse.secret;
}

/** A GraphQL literal for a value of this type: required fields only, ids from the given set. */
function literal(ref: TypeRef, argName: string, fieldName: string, idsToUse: typeof ids): string {
  if (ref.kind === "NON_NULL") return literal(ref.ofType as TypeRef, argName, fieldName, idsToUse);
  if (ref.kind === "LIST") return `[${literal(ref.ofType as TypeRef, argName, fieldName, idsToUse)}]`;
  const type = types.get(ref.name as string) as FullType;
  if (type.kind === "ENUM") return (type.enumValues?.[0]?.name as string) ?? "";
  if (type.kind === "INPUT_OBJECT") {
    const fields = (type.inputFields ?? []).filter((f) => required(f.type));
    return `{ ${fields.map((f) => `${f.name}: ${literal(f.type, f.name, fieldName, idsToUse)}`).join(", ")} }`;
  }
  switch (ref.name) {
    case "ID":
      return JSON.stringify(idFor(argName, fieldName, idsToUse));
    case "Int":
      return "1";
    case "Boolean":
      return "false";
    default:
      if (argName === "name") return JSON.stringify(`WALK_${++counter}`);
      if (argName === "content") return JSON.stringify(`WALK_IMPORT_${++counter}=1`);
      if (argName === "credential" || argName === "value") return JSON.stringify("sk-ant-walk");
      return JSON.stringify("walk");
  }
}

/** Whether any argument of the field, at any depth, is an ID: only then can B pass A's ids. */
function takesIds(field: Field): boolean {
  const seen = new Set<string>();
  const visit = (ref: TypeRef): boolean => {
    const type = named(ref);
    if (type.name === "ID") return true;
    if (!type.name || seen.has(type.name)) return false;
    seen.add(type.name);
    return (types.get(type.name)?.inputFields ?? []).some((f) => visit(f.type));
  };
  return field.args.some((arg) => visit(arg.type));
}

function operationFor(operation: string, field: Field, idsToUse: typeof ids): string {
  const args = field.args
    .filter((arg) => required(arg.type) || named(arg.type).name === "ID")
    .map((arg) => `${arg.name}: ${literal(arg.type, arg.name, field.name, idsToUse)}`);
  const kind = named(field.type).kind;
  const selection = kind === "SCALAR" || kind === "ENUM" ? "" : "{ __typename }";
  return `${operation} { ${field.name}${args.length ? `(${args.join(", ")})` : ""} ${selection} }`;
}

async function call(operation: string, text: string, token: string | null): Promise<string> {
  const subscription = operation === "subscription";
  const response = await t.vault.yoga.fetch("http://vault.test/graphql", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: subscription ? "text/event-stream" : "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query: text }),
  });
  if (!subscription || !response.body) return `${response.status} ${await response.text()}`;
  // A live subscription sends nothing until a notice: read what comes in a moment, then leave.
  const reader = response.body.getReader();
  const first = await Promise.race([
    reader.read().then(({ value }) => new TextDecoder().decode(value)),
    new Promise<string>((resolve) => setTimeout(() => resolve("<open>"), 300)),
  ]);
  await reader.cancel();
  return `${response.status} ${first.replace(/^:\s*\n+/gm, "")}`;
}

beforeAll(async () => {
  // The walk fails authentication hundreds of times from one address, on purpose.
  t = await startTestVault({ rateLimits: { failedAuthPerMinute: 100_000 } });
  const alice = await t.newUser("alice");
  const bob = await t.newUser("bob");
  ids.secret = (await ok(alice.gql, "addSecret", { name: "ALICE_SECRET", value: "a" })).id;
  ids.variable = (await ok(alice.gql, "addVariable", { name: "ALICE_VAR", value: "b" })).id;
  ids.agent = (await ok(alice.gql, "createAgent", { name: "alice-agent", entryIds: [ids.secret] })).id;
  ids.token = (await ok(alice.gql, "createApiToken", { name: "walk" })).apiToken.id;
  const runtime = (await ok(alice.gql, "createRuntimeToken", { agentId: ids.agent })).token;
  const revoked = await ok(alice.gql, "createApiToken", { name: "revoked" });
  await ok(alice.gql, "revokeApiToken", { id: revoked.apiToken.id });
  tokens = { anonymous: null, alice: alice.token, bob: bob.token, runtime, revoked: revoked.token };

  const schema = (await query(alice.gql, INTROSPECTION)).__schema;
  types = new Map(schema.types.map((type: FullType) => [type.name, type]));
  roots = (["query", "mutation", "subscription"] as const).flatMap((operation) => {
    const root = schema[`${operation}Type`]?.name;
    return (types.get(root)?.fields ?? []).map((field: Field) => ({ operation, field }));
  });
});
afterAll(() => t.close());

describe("the authorization walk", () => {
  it("covers every root field of the schema", () => {
    const names = roots.map((r) => r.field.name);
    for (const expected of [
      "entries",
      "agents",
      "aiProviders",
      "addSecret",
      "importEnv",
      "restartNeeded",
      "createRuntimeToken",
    ]) {
      expect(names).toContain(expected);
    }
  });

  it("lets only the owner's API token through, and answers B with A's ids as with missing ids", async () => {
    const unexpected: string[] = [];
    let calls = 0;
    const snapshot = async () =>
      JSON.stringify(
        await query(
          t.client(tokens.alice as string),
          "{ entries { edges { node { id name version fingerprint usedByCount } } } agents { edges { node { id name restartRequired } } } viewer { apiTokens { id revokedAt } } }",
        ),
      );
    const before = await snapshot();
    const missing = { agent: randomUUID(), secret: randomUUID(), variable: randomUUID(), token: randomUUID() };

    // Everyone but the owner first: none of it may change anything.
    for (const { operation, field } of roots) {
      const text = operationFor(operation, field, ids);
      for (const identity of ["anonymous", "runtime", "revoked"]) {
        calls++;
        const answer = await call(operation, text, tokens[identity] as string | null);
        if (!answer.includes("UNAUTHENTICATED") || answer.includes('"data"')) {
          unexpected.push(`${identity} ${field.name}: ${answer.slice(0, 200)}`);
        }
      }
      calls++;
      const withTheirs = await call(operation, text, tokens.bob as string);
      if (/alice|ALICE/.test(withTheirs)) unexpected.push(`bob ${field.name} saw alice's data`);
      if (!takesIds(field)) continue;
      const withMissing = await call(operation, operationFor(operation, field, missing), tokens.bob as string);
      const normalize = (answer: string, set: typeof ids) =>
        Object.values(set)
          .reduce((text, id) => text.replaceAll(id, "<id>"), answer)
          .replace(/WALK_\d+/g, "WALK")
          .replace(/WALK_IMPORT_\d+/g, "WALK_IMPORT");
      if (normalize(withTheirs, ids) !== normalize(withMissing, missing)) {
        unexpected.push(`bob ${field.name}: ${withTheirs.slice(0, 200)} vs ${withMissing.slice(0, 200)}`);
      }
    }
    expect(await snapshot()).toBe(before);

    // The owner: no authentication error and no unexpected error, whatever the typed result.
    for (const { operation, field } of roots) {
      calls++;
      const answer = await call(operation, operationFor(operation, field, ids), tokens.alice as string);
      if (/UNAUTHENTICATED|INTERNAL_SERVER_ERROR|Unexpected error/.test(answer)) {
        unexpected.push(`alice ${field.name}: ${answer.slice(0, 200)}`);
      }
    }
    console.log(
      `authorization walk: ${roots.length} fields by 5 identities, ${calls} calls, ${unexpected.length} unexpected`,
    );
    expect(unexpected).toEqual([]);
  });
});
