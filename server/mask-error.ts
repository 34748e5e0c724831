// Errors reach clients masked, in every environment. On top of yoga's masking (unexpected
// errors become "Unexpected error."), graphql-js's messages about bad input quote the input:
// "Variable "$input" got invalid value <the value> ...". Those quotes are cut, so a secret
// sent with a wrong type or a misspelt field is never echoed back.
import { GraphQLError } from "graphql";
import { maskError as yogaMaskError } from "graphql-yoga";

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
  const literal = /^(Expected value of type "[^"]+"), found [\s\S]*$/.exec(message);
  if (literal) return `${literal[1]}; the value given does not match.`;
  if (/cannot represent/.test(message)) return safeReason(message);
  return message;
}

export function maskError(error: unknown, message: string): Error {
  const masked = yogaMaskError(error, message, false);
  if (!(masked instanceof GraphQLError)) return masked;
  const redacted = redactInputValues(masked.message);
  if (redacted === masked.message) return masked;
  return new GraphQLError(redacted, {
    nodes: masked.nodes,
    source: masked.source,
    positions: masked.positions,
    path: masked.path,
    extensions: masked.extensions,
  });
}
