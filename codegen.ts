import type { CodegenConfig } from "@graphql-codegen/cli";

// The SDK's typed documents and its methods, from schema.graphql and sdk/operations. Run by
// `npm run generate`.
const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: ["sdk/operations/*.graphql"],
  ignoreNoDocuments: false,
  generates: {
    "sdk/src/generated/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        importExtension: ".js",
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: "string" },
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
      },
    },
    "sdk/src/generated/methods.ts": {
      plugins: ["./sdk/codegen/methods-plugin.cjs"],
    },
  },
};

export default config;
