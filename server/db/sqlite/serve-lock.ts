// The embedded database serves one `agent-vault serve` at a time: two processes would each deliver
// only their own notices and restart commands. A lock file beside the database holds the
// serving process's id; a second serve refuses to start, naming it, and a lock left by a process
// that is gone (killed, crashed) is taken over. PostgreSQL deployments take no lock.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";

export class ServeLockError extends Error {
  override name = "ServeLockError";
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the lock for `databaseFile`; returns its release (also run when the process exits). */
export function takeServeLock(databaseFile: string): () => void {
  const lockFile = `${databaseFile}.serve-lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockFile, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          if (readFileSync(lockFile, "utf8") === String(process.pid)) unlinkSync(lockFile);
        } catch {}
      };
      process.once("exit", release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number.parseInt(readFileSync(lockFile, "utf8"), 10);
      if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) {
        throw new ServeLockError(
          `Another agent-vault serve (process ${holder}) is serving ${databaseFile}: the embedded database takes one server at a time (several servers need PostgreSQL). If no such server runs, delete ${lockFile}`,
        );
      }
      // Left by a process that is gone: take it over.
      unlinkSync(lockFile);
    }
  }
  throw new ServeLockError(`Could not take the lock ${lockFile}`);
}
