// What the authorization walks need from the schema: every root field, read by introspection so
// that new fields are covered without editing a test, and an operation for each that passes
// validation (required arguments only, ids from a given set).

import { probe } from "./operations.ts";
import type { Gql, TestVault } from "./test-vault.ts";

type TypeRef = { kind: string; name: string | null; ofType: TypeRef | null };
type Arg = { name: string; type: TypeRef };
export type Field = { name: string; description: string | null; args: Arg[]; type: TypeRef };
type FullType = {
  name: string;
  kind: string;
  fields: Field[] | null;
  inputFields: Arg[] | null;
  enumValues: { name: string }[] | null;
  possibleTypes: { name: string }[] | null;
};
type IntrospectedSchema = {
  queryType: { name: string } | null;
  mutationType: { name: string } | null;
  subscriptionType: { name: string } | null;
  types: FullType[];
};
export type Ids = { agent: string; secret: string; variable: string; token: string };
export type Root = { operation: "query" | "mutation" | "subscription"; field: Field };

const TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";
const INTROSPECTION = `{ __schema {
  queryType { name } mutationType { name } subscriptionType { name }
  types { name kind possibleTypes { name }
    fields { name description type { ${TYPE_REF} } args { name type { ${TYPE_REF} } } }
    inputFields { name type { ${TYPE_REF} } } enumValues { name } } } }`;

const named = (ref: TypeRef): TypeRef => (ref.ofType ? named(ref.ofType) : ref);
const required = (ref: TypeRef) => ref.kind === "NON_NULL";

/** The scope a field's description says it requires ("Requires the X scope."), or null. */
export const requiredScope = (field: Field): string | null =>
  /Requires the ([A-Z_]+) scope/.exec(field.description ?? "")?.[1] ?? null;

export async function schemaWalk(gql: Gql) {
  const { __schema: schema } = await probe<{ __schema: IntrospectedSchema }>(gql, INTROSPECTION);
  const types = new Map<string, FullType>(schema.types.map((type) => [type.name, type]));
  const rootNames = new Set<string>();
  const roots: Root[] = (["query", "mutation", "subscription"] as const).flatMap((operation) => {
    const root = schema[`${operation}Type`]?.name;
    if (!root) return [];
    rootNames.add(root);
    return (types.get(root)?.fields ?? []).map((field: Field) => ({ operation, field }));
  });
  /** Fields of other types whose description names a scope, as "Type.field". */
  const scopedFields = [...types.values()]
    .filter((type) => !rootNames.has(type.name) && !type.name.startsWith("__"))
    .flatMap((type) => (type.fields ?? []).filter(requiredScope).map((field) => ({ type: type.name, field })));
  let counter = 0;

  /** Everything of a type, `depth` levels down ("" for scalars and enums). */
  function selectionOf(typeName: string, depth: number): string {
    const type = types.get(typeName) as FullType;
    if (type.kind === "SCALAR" || type.kind === "ENUM") return "";
    if (depth === 0) return "{ __typename }";
    const own = (type.fields ?? [])
      .filter((f) => f.args.every((arg) => !required(arg.type)))
      .map((f) => `${f.name} ${selectionOf(named(f.type).name as string, depth - 1)}`);
    const variants = (type.possibleTypes ?? []).map(
      (variant) => `... on ${variant.name} ${selectionOf(variant.name, depth)}`,
    );
    return `{ __typename ${own.join(" ")} ${variants.join(" ")} }`;
  }

  function idFor(argName: string, fieldName: string, ids: Ids): string {
    const name = `${fieldName}.${argName}`.toLowerCase();
    if (argName.toLowerCase().includes("agent")) return ids.agent;
    if (name.includes("apitoken")) return ids.token;
    if (name.includes("variable")) return ids.variable;
    return ids.secret;
  }

  function literal(ref: TypeRef, argName: string, fieldName: string, ids: Ids): string {
    if (ref.kind === "NON_NULL") return literal(ref.ofType as TypeRef, argName, fieldName, ids);
    if (ref.kind === "LIST") return `[${literal(ref.ofType as TypeRef, argName, fieldName, ids)}]`;
    const type = types.get(ref.name as string) as FullType;
    if (type.kind === "ENUM") return (type.enumValues?.[0]?.name as string) ?? "";
    if (type.kind === "INPUT_OBJECT") {
      const fields = (type.inputFields ?? []).filter((f) => required(f.type));
      return `{ ${fields.map((f) => `${f.name}: ${literal(f.type, f.name, fieldName, ids)}`).join(", ")} }`;
    }
    switch (ref.name) {
      case "ID":
        return JSON.stringify(idFor(argName, fieldName, ids));
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

  return {
    roots,
    scopedFields,

    /** Whether any argument of the field, at any depth, is an ID: only then can B pass A's ids. */
    takesIds(field: Field): boolean {
      const seen = new Set<string>();
      const visit = (ref: TypeRef): boolean => {
        const type = named(ref);
        if (type.name === "ID") return true;
        if (!type.name || seen.has(type.name)) return false;
        seen.add(type.name);
        return (types.get(type.name)?.inputFields ?? []).some((f) => visit(f.type));
      };
      return field.args.some((arg) => visit(arg.type));
    },

    /**
     * The operation calling this field and selecting everything its result reaches, `depth` levels
     * down: every field without required arguments, every type a union or interface may be.
     */
    deepOperationFor(operation: string, field: Field, ids: Ids, depth = 4): string {
      const args = field.args
        .filter((arg) => required(arg.type) || named(arg.type).name === "ID")
        .map((arg) => `${arg.name}: ${literal(arg.type, arg.name, field.name, ids)}`);
      return `${operation} { ${field.name}${args.length ? `(${args.join(", ")})` : ""} ${selectionOf(named(field.type).name as string, depth)} }`;
    },

    /** The operation calling this field; a result union's ForbiddenError shows its scope. */
    operationFor(operation: string, field: Field, ids: Ids): string {
      const args = field.args
        .filter((arg) => required(arg.type) || named(arg.type).name === "ID")
        .map((arg) => `${arg.name}: ${literal(arg.type, arg.name, field.name, ids)}`);
      const type = types.get(named(field.type).name as string) as FullType;
      const forbidden = type.possibleTypes?.some((t) => t.name === "ForbiddenError");
      // Every scalar field that takes no argument, so that nothing is resolved without its check.
      const scalars = (type.fields ?? [])
        .filter(
          (f) => f.args.length === 0 && ["SCALAR", "ENUM"].includes(types.get(named(f.type).name ?? "")?.kind ?? ""),
        )
        .map((f) => f.name);
      const selection =
        type.kind === "SCALAR" || type.kind === "ENUM"
          ? ""
          : `{ __typename ${scalars.join(" ")} ${forbidden ? "... on ForbiddenError { scope }" : ""} }`;
      return `${operation} { ${field.name}${args.length ? `(${args.join(", ")})` : ""} ${selection} }`;
    },
  };
}

/** Sends one operation; a subscription is read for a moment (a live one sends nothing until a notice). */
export async function call(t: TestVault, operation: string, text: string, token: string | null): Promise<string> {
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
  const reader = response.body.getReader();
  const first = await Promise.race([
    reader.read().then(({ value }) => new TextDecoder().decode(value)),
    new Promise<string>((resolve) => setTimeout(() => resolve("<open>"), 300)),
  ]);
  await reader.cancel();
  return `${response.status} ${first.replace(/^:\s*\n+/gm, "")}`;
}
