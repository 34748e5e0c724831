import { lexicographicSortSchema, printSchema } from "graphql";
import { builder } from "./builder.ts";
import "./modules/common/common.schema.ts";
import "./modules/agent/agent.schema.ts";
import "./modules/attachment/attachment.schema.ts";
import "./modules/entry/entry.schema.ts";
import "./modules/entry/entry-versions.schema.ts";
import "./modules/activity/activity.schema.ts";
import "./modules/import/import.schema.ts";
import "./modules/notice/notice.schema.ts";
import "./modules/provider/provider.schema.ts";
import "./modules/runtime/runtime.schema.ts";
import "./modules/token/token.schema.ts";
import "./modules/user/user.schema.ts";

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

export const schema = builder.toSchema();

export function printSchemaFile(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
