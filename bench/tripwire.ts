// The leak tripwire's cost: the broker with inspection on (policy block) against the same broker
// with it off, for an agent with 50 environment secrets, in server CPU per request on request
// bodies of 1 KB, 100 KB and 1 MB; and `agent-vault run` concealing values against
// `run --no-masking`, in CPU, on a child writing 100 MB of output.
import { randomBytes } from "node:crypto";
import autocannon from "autocannon";
import { agentEnvironment, benchVault, type Target } from "./broker.ts";
import type { Database_, Settings } from "./hot-paths.ts";
import { type Figure, figure, median, paired, stage } from "./measure.ts";
import { BIN, pipedCommandCpu, type Server, startBaseline } from "./processes.ts";

const SECRETS = 50;
const CONNECTIONS = 8;
const SIZES = [
  { label: "1 KB", bytes: 1024, goal: "reported" },
  { label: "100 KB", bytes: 100 * 1024, goal: "<= 1.3" },
  { label: "1 MB", bytes: 1024 * 1024, goal: "reported" },
] as const;
const OUTPUT_MB = 100;

/** A prompt of `bytes` bytes that holds no secret: prose in a chat request, as agents send. */
function prompt(bytes: number): string {
  const words = "The agent reads the file, thinks about the answer and writes it down with care. ";
  const content = words.repeat(Math.ceil(bytes / words.length)).slice(0, bytes - 80);
  return JSON.stringify({ model: "gpt-bench", messages: [{ role: "user", content }] });
}

/** Server CPU seconds (its event loop) per request, over `seconds` of POSTs at concurrency 8. */
async function cpuPerRequest(server: Server, target: Target, body: string, seconds: number): Promise<number> {
  const before = server.cpu();
  const result = await autocannon({
    url: `${target.url}/json`,
    method: "POST",
    headers: { ...target.headers, "content-type": "application/json" },
    body,
    connections: CONNECTIONS,
    duration: seconds,
  });
  const cpu = server.cpu() - before;
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${target.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  }
  return cpu / result.requests.total;
}

/** A vault with the policy, and an agent with 50 environment secrets and a key brokered to `upstream`. */
async function agentVault(settings: Settings, upstream: string, policy: string, database: Database_ = "sqlite") {
  const { server, vault, drop } = await benchVault(
    settings,
    { nodeArgs: [], env: { AGENT_VAULT_LEAK_POLICY: policy } },
    database,
  );
  const ids: string[] = [];
  for (let i = 0; i < SECRETS; i++) {
    const value = `${randomBytes(24).toString("base64url")}`;
    ids.push((await vault.addSecret({ name: `BENCH_SECRET_${i}`, value })).id);
  }
  const key = await vault.addSecret({
    name: "BENCH_KEY",
    value: `sk-bench-${randomBytes(16).toString("hex")}`,
    delivery: "BROKERED",
    upstream: { baseUrl: `${upstream}/v1`, template: "Bearer {value}", baseUrlVariable: "BENCH_BASE_URL" },
  });
  const agent = await vault.createAgent({ name: "tripwire", entryIds: [...ids, key.id] });
  const { environment, runtimeToken } = await agentEnvironment(server, vault, agent.id);
  const target: Target = {
    url: environment.BENCH_BASE_URL as string,
    headers: { authorization: `Bearer ${environment.BENCH_KEY}` },
  };
  return { server, target, runtimeToken, drop };
}

/** A bare pass-through of a command's output in Node, for reference: what any masking starts from. */
const PASS_THROUGH = `
const { spawn } = require("node:child_process");
const child = spawn(process.argv[1], process.argv.slice(2), { stdio: ["inherit", "pipe", "pipe"] });
child.stdout.pipe(process.stdout);
child.stderr.pipe(process.stderr);
child.on("exit", (code) => { process.exitCode = code; });
`;

/** The child of the masking figure: 100 MB of log lines, written in 16 KB pieces as fast as the pipe takes them. */
const WRITER = `
const line = "2026-12-06T10:00:00Z INFO agent step finished: read 3 files, wrote 1, called the model twice\\n";
let left = Math.ceil(${OUTPUT_MB} * 1024 * 1024 / line.length);
const write = () => {
  while (left-- > 0) if (!process.stdout.write(line)) return process.stdout.once("drain", write);
};
write();
`;

export async function tripwireFigures(settings: Settings): Promise<Figure[]> {
  stage("leak tripwire: the broker with inspection on and off, 50 secrets");
  const mock = await startBaseline("mock-provider.mjs");
  const on = await agentVault(settings, mock.url, "block");
  const off = await agentVault(settings, mock.url, "off");
  const figures: Figure[] = [];
  try {
    for (const size of SIZES) {
      const body = prompt(size.bytes);
      const measured = await paired(settings.pairs, async () => {
        const without = await cpuPerRequest(off.server, off.target, body, settings.seconds);
        const inspected = await cpuPerRequest(on.server, on.target, body, settings.seconds);
        return {
          ratio: inspected / without,
          detail: { offCpuMsPerRequest: without * 1e3, onCpuMsPerRequest: inspected * 1e3 },
        };
      });
      const detail = {
        offCpuMsPerRequest: Number(median(measured.details.map((d) => d.offCpuMsPerRequest)).toFixed(4)),
        onCpuMsPerRequest: Number(median(measured.details.map((d) => d.onCpuMsPerRequest)).toFixed(4)),
      };
      stage(`tripwire ${size.label}: ${JSON.stringify(detail)}`);
      figures.push(
        figure(
          {
            name: `broker CPU per request with the leak tripwire, ${size.label} body / without`,
            database: "sqlite",
            unit: "ratio to the same broker's with the tripwire off",
            goal: size.goal,
            met: (m) => (size.goal === "reported" ? true : m <= 1.3),
          },
          measured,
          detail,
        ),
      );
    }

    stage(`leak tripwire: agent-vault run concealing values in ${OUTPUT_MB} MB of output`);
    const env = { AGENT_VAULT_URL: `${on.server.url}/graphql`, AGENT_VAULT_RUNTIME_TOKEN: on.runtimeToken };
    const command = (masking: boolean) => [
      process.execPath,
      BIN,
      "run",
      ...(masking ? [] : ["--no-masking"]),
      "--",
      process.execPath,
      "-e",
      WRITER,
    ];
    const masking = await paired(settings.pairs, async () => {
      const plain = await pipedCommandCpu(command(false), env, 2);
      const masked = await pipedCommandCpu(command(true), env, 2);
      return { ratio: masked / plain, detail: { plainCpuSeconds: plain, maskedCpuSeconds: masked } };
    });
    // For reference: the child writing straight into the pipe, against the same through a bare pass-through.
    const passThrough = await paired(settings.pairs, async () => {
      const direct = await pipedCommandCpu([process.execPath, "-e", WRITER], {}, 2);
      const passed = await pipedCommandCpu(
        [process.execPath, "-e", PASS_THROUGH, process.execPath, "-e", WRITER],
        {},
        2,
      );
      return passed / direct;
    });
    figures.push(
      figure(
        {
          name: `a bare Node pass-through of ${OUTPUT_MB} MB of output / the child writing it directly`,
          database: "sqlite",
          unit: "ratio, for reference",
          goal: "reported",
          met: () => true,
        },
        passThrough,
      ),
    );
    const maskingDetail = {
      plainCpuSeconds: Number(median(masking.details.map((d) => d.plainCpuSeconds)).toFixed(3)),
      maskedCpuSeconds: Number(median(masking.details.map((d) => d.maskedCpuSeconds)).toFixed(3)),
    };
    stage(`masking: ${JSON.stringify(maskingDetail)}`);
    figures.push(
      figure(
        {
          name: `agent-vault run CPU concealing ${SECRETS} secrets in ${OUTPUT_MB} MB of output / --no-masking`,
          database: "sqlite",
          unit: "ratio to run --no-masking",
          goal: "<= 1.5",
          met: (m) => m <= 1.5,
        },
        masking,
        maskingDetail,
      ),
    );
  } finally {
    await on.server.stop();
    await off.server.stop();
    await on.drop();
    await off.drop();
    await mock.stop();
  }
  return figures;
}
