// Preloaded into the broker figures' servers (node --expose-gc --require): on SIGUSR2, collect
// garbage fully and write the process's memory use to BENCH_MEMORY_FILE, so that what open streams
// hold is measured without the noise of when collections happen to run.
const { writeFileSync } = require("node:fs");

process.on("SIGUSR2", () => {
  globalThis.gc();
  globalThis.gc();
  writeFileSync(process.env.BENCH_MEMORY_FILE, JSON.stringify(process.memoryUsage()));
});
