// Errors reach clients masked, in every environment. On top of yoga's masking (unexpected
// errors become "Unexpected error."), graphql-js's messages about bad input quote the input:
// "Variable "$input" got invalid value <the value> ...". Those quotes are cut, so a secret
// sent with a wrong type or a misspelt field is never echoed back.
import { type ExecutionResult, GraphQLError } from "graphql";
import { type Plugin, type YogaLogger, maskError as yogaMaskError } from "graphql-yoga";
import { ForbiddenError } from "../auth/scopes.ts";

const SAFE_REASONS: RegExp[] = [
  /^Expected type "[^"]+"\.?/,
  /^Field "[^"]+" is not defined by type "[^"]+"\.?/,
  /^Field "[^"]+" of required type "[^"]+" was not provided\.?/,
  /^Expected non-nullable type "[^"]+" not to be null\.?/,
  /^Expected value of type "[^"]+"/,
  /^[A-Za-z]+ cannot represent [a-z -]+?(?=:|$)/,
];

function safeReason(reason: string): string {
  const found: string[] = [];
  for (const pattern of SAFE_REASONS) {
    const match = pattern.exec(reason.trim());
    if (match) found.push(match[0].replace(/\.?$/, "."));
  }
  return found[0] ?? "The value does not match the expected type.";
}

/** The message with every quoted input value removed. */
export function redactInputValues(message: string): string {
  const variable = /^(Variable "\$[A-Za-z0-9_]+") got invalid value [\s\S]*?(?:( at "[^"]*"))?; ([\s\S]*)$/.exec(
    message,
  );
  if (variable) return `${variable[1]} got invalid value${variable[2] ?? ""}; ${safeReason(variable[3] ?? "")}`;
  if (/^Variable "\$[A-Za-z0-9_]+" got invalid value/.test(message)) {
    return message.replace(/ got invalid value [\s\S]*$/, " got an invalid value.");
  }
  // The parser names the token it did not expect, with its text: a string typed inline may be a
  // secret. Only the token's kind is kept.
  const token = /^(Syntax Error: [\s\S]*?(?:found|Unexpected) (?:String|BlockString|Int|Float)) "[\s\S]*"(\.?)$/.exec(
    message,
  );
  if (token) return `${token[1]}${token[2]}`;
  const literal = /^(Expected value of type "[^"]+"), found [\s\S]*$/.exec(message);
  if (literal) return `${literal[1]}; the value given does not match.`;
  if (/cannot represent/.test(message)) return safeReason(message);
  return message;
}

function redactError(error: GraphQLError): GraphQLError {
  // Yoga attaches the underlying error to some request errors (for invalid JSON, the parser's
  // message, which quotes the body): never send it.
  if (error.extensions && "originalError" in error.extensions) {
    delete (error.extensions as Record<string, unknown>).originalError;
  }
  const redacted = redactInputValues(error.message);
  if (redacted === error.message) return error;
  return new GraphQLError(redacted, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: error.extensions,
  });
}

/**
 * Yoga's masking, in every environment: unexpected errors become "Unexpected error.". A missing
 * scope on a field that has no typed results is said plainly: FORBIDDEN, naming the scope.
 */
export function maskError(error: unknown, message: string): Error {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof ForbiddenError) {
    return new GraphQLError(original.message, {
      nodes: error instanceof GraphQLError ? error.nodes : undefined,
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: "FORBIDDEN", scope: original.scope, http: { status: 403 } },
    });
  }
  return yogaMaskError(error, message, false);
}

/**
 * Redacts input values from every error of every result, whichever phase made it (parsing,
 * validation, variable coercion, execution): only execution errors pass through maskError.
 */
export function useRedactedInputErrors(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !result || typeof result !== "object" || !("errors" in result)) return;
      const errors = (result as ExecutionResult).errors;
      if (!errors?.length) return;
      const redacted = errors.map(redactError);
      if (redacted.some((error, i) => error !== errors[i]))
        setResult({ ...(result as ExecutionResult), errors: redacted });
    },
  };
}

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
const LEVELS: LogLevel[] = ["debug", "info", "warn", "error"];
/** The loggers redactingLogger made. */
const redacting = new WeakSet<YogaLogger>();

/**
 * A logger that passes every message and stack through the same redaction. Levels below `level`
 * are dropped before that: yoga logs every request's parameters at debug, and redacting a large
 * import's text only to drop it cost more than the rest of the request's logging.
 */
export function redactingLogger(base: YogaLogger, level: LogLevel = "debug"): YogaLogger {
  // Already one (the server's, handed to the app): wrapping it again would redact every message,
  // of every level, once more.
  if (redacting.has(base)) return base;
  const clean = (arg: unknown): unknown => {
    if (arg instanceof Error) {
      return `${arg.name}: ${redactInputValues(arg.message)}\n${(arg.stack ?? "").split("\n").slice(1).join("\n")}`;
    }
    return typeof arg === "string" ? redactInputValues(arg) : arg;
  };
  const from = level === "silent" ? LEVELS.length : LEVELS.indexOf(level);
  const method = (name: Exclude<LogLevel, "silent">) =>
    LEVELS.indexOf(name) >= from ? (...args: unknown[]) => base[name](...args.map(clean)) : () => {};
  const logger = { debug: method("debug"), info: method("info"), warn: method("warn"), error: method("error") };
  redacting.add(logger);
  return logger;
}
