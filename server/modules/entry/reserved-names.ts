// Names an entry may not have (DESIGN.md rule 1): environment variables that change how the
// process receiving them starts or whom it trusts, rather than configuring the agent. The rule:
// a variable is refused when setting it makes a program load or run code it was not told to, or
// trust a certificate authority or host it would not otherwise. Each group says which programs
// read it. Ordinary configuration (API keys, base URLs, proxies, log levels) is never refused.

type Group = { reason: string; names?: readonly string[]; prefixes?: readonly string[] };

const GROUPS: readonly Group[] = [
  { reason: "the process's own search paths and identity", names: ["PATH", "HOME", "SHELL", "USER", "PWD"] },
  {
    reason: "the dynamic loader loads libraries from it",
    names: ["GCONV_PATH", "LOCPATH"],
    prefixes: ["LD_", "DYLD_"],
  },
  {
    reason: "shells run or parse code from it",
    names: ["BASH_ENV", "ENV", "IFS", "PS4", "SHELLOPTS", "BASHOPTS", "PROMPT_COMMAND", "CDPATH", "GLOBIGNORE"],
    prefixes: ["BASH_FUNC_"],
  },
  {
    reason: "Node.js loads code or certificates from it",
    names: [
      "NODE_OPTIONS",
      "NODE_PATH",
      "NODE_EXTRA_CA_CERTS",
      "NODE_TLS_REJECT_UNAUTHORIZED",
      "NODE_REPL_EXTERNAL_MODULE",
    ],
  },
  {
    reason: "Python loads code from it",
    names: [
      "PYTHONPATH",
      "PYTHONSTARTUP",
      "PYTHONHOME",
      "PYTHONINSPECT",
      "PYTHONUSERBASE",
      "PYTHONEXECUTABLE",
      "PYTHONBREAKPOINT",
      "PYTHONWARNINGS",
      "PYTHONHTTPSVERIFY",
    ],
  },
  { reason: "Perl loads code from it", names: ["PERL5OPT", "PERL5LIB", "PERLLIB", "PERL5DB"] },
  { reason: "Ruby loads code from it", names: ["RUBYOPT", "RUBYLIB"] },
  {
    reason: "the JVM loads code or agents from it",
    names: ["JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH"],
  },
  { reason: "it changes which addresses host names resolve to", names: ["HOSTALIASES", "RESOLV_HOST_CONF"] },
  {
    reason: "it changes which certificate authorities TLS trusts",
    names: ["SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "OPENSSL_CONF", "OPENSSL_ENGINES"],
  },
  { reason: "git runs programs named in it", names: ["GIT_SSH", "GIT_SSH_COMMAND", "GIT_EXEC_PATH", "GIT_ASKPASS"] },
  { reason: "it is the vault's own configuration", prefixes: ["AGENT_VAULT_"] },
];

const BY_NAME = new Map(GROUPS.flatMap((group) => (group.names ?? []).map((name) => [name, group.reason] as const)));
const BY_PREFIX = GROUPS.flatMap((group) => (group.prefixes ?? []).map((prefix) => [prefix, group.reason] as const));

/** Why a name (upper case) is refused, or null. */
export function reservedReason(key: string): string | null {
  const reason = BY_NAME.get(key);
  if (reason) return `${key} is refused: ${reason}`;
  const prefix = BY_PREFIX.find(([start]) => key.startsWith(start));
  return prefix ? `Names starting ${prefix[0]} are refused: ${prefix[1]}` : null;
}

/** Every refused name and prefix, for the documentation. */
export const RESERVED = GROUPS;
