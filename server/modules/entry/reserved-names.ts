// Names an entry may not have (docs/architecture.md rule 1): environment variables that change how the
// process receiving them, or a program it runs, starts or whom it trusts, rather than configuring
// the agent. The rule: a variable is refused when setting it makes a program load or run code it
// was not told to (directly, or through configuration it then reads), install code from elsewhere,
// trust a certificate authority or host it would not otherwise, or disclose its TLS keys. Each
// family says which programs read it and why. Ordinary configuration (API keys, base URLs,
// proxies, log levels, git's author name) is never refused. An operator refuses more with
// AGENT_VAULT_REFUSED_NAMES (names, and prefixes ending in *, comma-separated).

type Family = { reason: string; names?: readonly string[]; prefixes?: readonly string[] };

const FAMILIES: readonly Family[] = [
  {
    reason: "the agent's process takes it from its own machine (where it finds programs, and who it is)",
    names: ["PATH", "HOME", "SHELL", "USER", "PWD"],
  },
  {
    reason: "the dynamic loader loads libraries from it",
    names: ["GCONV_PATH", "LOCPATH"],
    prefixes: ["LD_", "DYLD_"],
  },
  {
    reason: "shells run or parse code from it",
    names: [
      "BASH_ENV",
      "ENV",
      "IFS",
      "PS4",
      "SHELLOPTS",
      "BASHOPTS",
      "PROMPT_COMMAND",
      "CDPATH",
      "GLOBIGNORE",
      "ZDOTDIR",
    ],
    prefixes: ["BASH_FUNC_"],
  },
  {
    reason: "programs run the command it names (a pager, an editor, a browser, a password prompt)",
    names: [
      "PAGER",
      "MANPAGER",
      "SYSTEMD_PAGER",
      "EDITOR",
      "VISUAL",
      "BROWSER",
      "LESSOPEN",
      "LESSCLOSE",
      "SSH_ASKPASS",
      "SUDO_ASKPASS",
    ],
  },
  {
    reason: "programs read their configuration, which may name commands to run, from it",
    names: ["XDG_CONFIG_HOME", "XDG_CONFIG_DIRS"],
  },
  {
    reason: "git runs programs named in it, or reads configuration (which runs programs) from it",
    names: [
      "GIT_SSH",
      "GIT_SSH_COMMAND",
      "GIT_EXEC_PATH",
      "GIT_ASKPASS",
      "GIT_PAGER",
      "GIT_EDITOR",
      "GIT_SEQUENCE_EDITOR",
      "GIT_PROXY_COMMAND",
      "GIT_EXTERNAL_DIFF",
      "GIT_TEMPLATE_DIR",
      "GIT_DIR",
      "GIT_COMMON_DIR",
    ],
    prefixes: ["GIT_CONFIG"],
  },
  {
    reason: "Node.js loads code, data or certificates from it",
    names: [
      "NODE_OPTIONS",
      "NODE_PATH",
      "NODE_EXTRA_CA_CERTS",
      "NODE_TLS_REJECT_UNAUTHORIZED",
      "NODE_REPL_EXTERNAL_MODULE",
      "NODE_ICU_DATA",
    ],
  },
  {
    reason: "package managers install code from where it says, or run scripts with the shell it names",
    names: ["UV_INDEX", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_DEFAULT_INDEX", "UV_FIND_LINKS"],
    prefixes: ["NPM_CONFIG_", "PIP_"],
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
  { reason: "Ruby loads code from it", names: ["RUBYOPT", "RUBYLIB", "GEM_HOME", "GEM_PATH", "BUNDLE_GEMFILE"] },
  { reason: "Lua runs or loads code from it", names: ["LUA_PATH", "LUA_CPATH"], prefixes: ["LUA_INIT"] },
  { reason: "PHP reads its configuration (which loads code) from it", names: ["PHPRC", "PHP_INI_SCAN_DIR"] },
  {
    reason: "the .NET runtime loads code or profilers from it",
    names: ["DOTNET_STARTUP_HOOKS", "DOTNET_ADDITIONAL_DEPS"],
    prefixes: ["CORECLR_PROFILER", "COR_PROFILER"],
  },
  {
    reason: "the JVM loads code or agents from it",
    names: ["JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH"],
  },
  { reason: "it changes which addresses host names resolve to", names: ["HOSTALIASES", "RESOLV_HOST_CONF"] },
  {
    reason: "it changes which certificate authorities TLS trusts",
    names: ["SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "OPENSSL_CONF", "OPENSSL_ENGINES"],
  },
  { reason: "TLS libraries write their session keys to the file it names", names: ["SSLKEYLOGFILE"] },
  { reason: "it is the vault's own configuration", prefixes: ["AGENT_VAULT_"] },
];

/** The operator's own refusals (AGENT_VAULT_REFUSED_NAMES): names, and prefixes ending in *. */
export const OPERATOR_SETTING = "AGENT_VAULT_REFUSED_NAMES";
const OPERATOR_REASON = `the operator refuses it (${OPERATOR_SETTING})`;

const BY_NAME = new Map(
  FAMILIES.flatMap((family) => (family.names ?? []).map((name) => [name, family.reason] as const)),
);
const BY_PREFIX = FAMILIES.flatMap((family) =>
  (family.prefixes ?? []).map((prefix) => [prefix, family.reason] as const),
);

/** The operator's list, parsed once per value of the setting. */
let operator: { text: string; names: Set<string>; prefixes: string[] } = { text: "", names: new Set(), prefixes: [] };
function operatorList() {
  const text = process.env[OPERATOR_SETTING] ?? "";
  if (text !== operator.text) {
    const items = text
      .split(",")
      .map((item) => item.trim().toUpperCase())
      .filter(Boolean);
    operator = {
      text,
      names: new Set(items.filter((item) => !item.endsWith("*"))),
      prefixes: items.filter((item) => item.endsWith("*")).map((item) => item.slice(0, -1)),
    };
  }
  return operator;
}

/** Why a name (upper case) is refused, or null. */
export function reservedReason(key: string): string | null {
  const reason = BY_NAME.get(key);
  if (reason) return `${key} is refused: ${reason}`;
  const prefix = BY_PREFIX.find(([start]) => key.startsWith(start));
  if (prefix) return `Names starting ${prefix[0]} are refused: ${prefix[1]}`;
  const own = operatorList();
  if (own.names.has(key)) return `${key} is refused: ${OPERATOR_REASON}`;
  const ownPrefix = own.prefixes.find((start) => key.startsWith(start));
  return ownPrefix !== undefined ? `Names starting ${ownPrefix} are refused: ${OPERATOR_REASON}` : null;
}

/** Every refused name and prefix by family, for the documentation and the tests. */
export const RESERVED = FAMILIES;
