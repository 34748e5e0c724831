// Hearing, on every instance of a shared database, that what placeholders open has changed, so
// that an instance may keep what it read (the broker's grants) instead of reading it for every
// request, and still never use it once a write that changed it has answered:
// - triggers on the tables grants are read from tell every listening session of each statement
//   that may change one (the migration "instance_leases"), with the backend that ran it;
// - each instance listens on a connection of its own, and holds a lease (VaultInstance) that it
//   renews over that same connection: it trusts what it keeps only while the lease runs;
// - a write whose statement fired a trigger (its own connection hears that before the write
//   returns) does not return until every other instance with a lease acknowledged a message sent
//   after it, or its lease ended. An instance acknowledges after it heard everything before it.
import { randomUUID } from "node:crypto";
import pg from "pg";

const GRANTS = "agent_vault_grants";
const SYNC = "agent_vault_sync";
const ACK = "agent_vault_ack";

const UTC_NOW = `(clock_timestamp() AT TIME ZONE 'UTC')`;
// The lease, and how many of the triggers are there and enabled (all of them, or nothing is kept).
const TRIGGERS = ["BrokerPlaceholder_grants", "Entry_grants", "Agent_grants", "User_grants", "AgentLimit_grants"];
const RENEW = `WITH "lease" AS (INSERT INTO "VaultInstance" ("id", "leaseUntil") VALUES ($1, ${UTC_NOW} + $2 * interval '1 millisecond')
    ON CONFLICT ("id") DO UPDATE SET "leaseUntil" = excluded."leaseUntil" RETURNING 1)
  SELECT count(*) AS "triggers" FROM pg_trigger t JOIN pg_class c ON c."oid" = t."tgrelid"
  WHERE c."relnamespace" = current_schema()::regnamespace AND t."tgenabled" <> 'D'
    AND t."tgname" IN (${TRIGGERS.map((name) => `'${name}'`).join(", ")}) AND EXISTS (SELECT 1 FROM "lease")`;
const PRUNE = `DELETE FROM "VaultInstance" WHERE "leaseUntil" < ${UTC_NOW} - interval '1 hour'`;
const LEAVE = `DELETE FROM "VaultInstance" WHERE "id" = $1`;
// The other instances with a lease, how long it still runs, and (when there is one) the message
// they acknowledge; sent as this statement commits, after the write that calls for it.
const ASK_OTHERS = `SELECT "id", CEIL(EXTRACT(EPOCH FROM ("leaseUntil" - ${UTC_NOW})) * 1000) AS "ms", pg_notify('${SYNC}', $1)
  FROM "VaultInstance" WHERE "id" <> $2 AND "leaseUntil" > ${UTC_NOW}`;

export type ChangeWatchOptions = {
  /** How long a lease runs from its renewal; renewed every third of it. */
  leaseMs?: number;
  /** Margin kept against the database's clock: a lease is trusted this much less. */
  marginMs?: number;
  onError?: (error: unknown) => void;
  /**
   * A statement changed what placeholders open while no write of `heardWrite` ran: the other
   * instances were not waited for (a write made outside the database layer's transactions).
   */
  onUnheardWrite?: (table: string) => void;
};

const NOT_A_WRITE = /^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SELECT|SET|LISTEN)\b/i;

/** The table a statement writes, named without its values (or what the statement begins with). */
export function tableWritten(statement: string): string {
  const found = /\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:"?\w+"?\.)?"?(\w+)"?/i.exec(statement);
  return found?.[1] ?? statement.trim().split(/\s/, 1)[0] ?? "";
}

export type ChangeWatch = {
  readonly instanceId: string;
  /** Changes heard (and times hearing stopped): what was read while it stayed the same is still good. */
  readonly heard: number;
  /** Writes of this instance that fired a trigger. */
  readonly ownChanges: number;
  /**
   * Runs a write; once it has answered, and changed what placeholders open, it returns only after
   * every other instance heard it. Every such write goes through here (`onUnheardWrite` says
   * when one did not).
   */
  heardWrite<T>(write: () => Promise<T>): Promise<T>;
  /** Whether this instance now hears every change (its listener is up and its lease runs). */
  hearsAll(): boolean;
  /** Resolves once every other instance heard what this instance has written so far (and ran its `whenAsked`). */
  heardEverywhere(): Promise<void>;
  /** Runs `hook` each time another instance asks, before this one answers (writing what it holds back). */
  whenAsked(hook: () => Promise<void>): void;
  /** A pool's connections listen too: each learns that its own statement fired a trigger before it returns. */
  readonly Client: typeof pg.Client;
  close(): Promise<void>;
};

export function changeWatch(
  url: string,
  pool: () => Pick<pg.Pool, "query">,
  options: ChangeWatchOptions = {},
): ChangeWatch {
  const instanceId = randomUUID();
  const leaseMs = options.leaseMs ?? 3000;
  const marginMs = options.marginMs ?? 500;
  const onError = options.onError ?? (() => {});
  const onUnheardWrite = options.onUnheardWrite ?? (() => {});
  let heard = 0;
  let ownChanges = 0;
  /** Writes of heardWrite under way. */
  let writing = 0;
  let listener: pg.Client | null = null;
  let trustedUntil = 0;
  let closed = false;
  let renewing: NodeJS.Timeout | undefined;
  let reconnecting: NodeJS.Timeout | undefined;
  let seq = 0;
  // Each round's answers so far, and who is waited for (an answer may come before the round's rows).
  const waiting = new Map<string, { answered: Set<string>; waiters: Map<string, () => void> }>();
  // The listener's statements one after another (a pg client takes one at a time).
  let queued: Promise<unknown> = Promise.resolve();
  const onListener = (client: pg.Client, text: string, values: unknown[]) => {
    const run = queued.then(() => client.query(text, values));
    queued = run.catch(() => {});
    return run;
  };
  const hooks: (() => Promise<void>)[] = [];

  function lost(): void {
    heard++;
    trustedUntil = 0;
    const was = listener;
    listener = null;
    clearTimeout(renewing);
    if (was) was.end().catch(() => {});
    if (!closed && !reconnecting) {
      reconnecting = setTimeout(() => {
        reconnecting = undefined;
        void listen();
      }, 1000).unref();
    }
  }

  function onNotification(message: pg.Notification): void {
    const payload = message.payload ?? "";
    if (message.channel === GRANTS) heard++;
    else if (message.channel === SYNC) {
      // Everything heard before this message is heard (they arrive in order): acknowledged.
      const client = listener;
      if (!client || payload.startsWith(`${instanceId}:`)) return;
      const answer = () =>
        onListener(client, `SELECT pg_notify('${ACK}', $1)`, [`${payload} ${instanceId}`]).catch(onError);
      if (hooks.length === 0) void answer();
      else void Promise.all(hooks.map((hook) => hook().catch(onError))).then(answer);
    } else if (message.channel === ACK) {
      const [syncId = "", from = ""] = payload.split(" ");
      const round = waiting.get(syncId);
      round?.answered.add(from);
      round?.waiters.get(from)?.();
    }
  }

  async function renew(): Promise<void> {
    const client = listener;
    if (!client) return;
    const sent = performance.now();
    try {
      const { rows } = await onListener(client, RENEW, [instanceId, leaseMs]);
      const whole = Number(rows[0]?.triggers) === TRIGGERS.length;
      // The lease runs from when the database ran the statement, after it was sent. Without every
      // trigger, changes may go unheard: nothing is kept.
      if (listener === client) trustedUntil = whole ? sent + leaseMs - marginMs : 0;
      if (!whole) heard++;
    } catch (error) {
      onError(error);
      if (listener === client) lost();
      return;
    }
    if (listener === client && !closed) renewing = setTimeout(() => void renew(), leaseMs / 3).unref();
  }

  async function listen(): Promise<void> {
    const client = new pg.Client({ connectionString: url, application_name: "agent-vault listener" });
    client.on("notification", onNotification);
    client.on("error", () => {
      if (listener === client) lost();
    });
    client.on("end", () => {
      if (listener === client) lost();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${GRANTS}; LISTEN ${SYNC}; LISTEN ${ACK}`);
      await client.query(PRUNE);
    } catch (error) {
      onError(error);
      client.end().catch(() => {});
      if (!closed)
        reconnecting ??= setTimeout(() => {
          reconnecting = undefined;
          void listen();
        }, 1000).unref();
      return;
    }
    if (closed) {
      await client.end().catch(() => {});
      return;
    }
    // What was kept before this listener heard anything is not trusted.
    heard++;
    listener = client;
    await renew();
  }

  async function askOthers(): Promise<void> {
    const syncId = `${instanceId}:${++seq}`;
    const acks = { answered: new Set<string>(), waiters: new Map<string, () => void>() };
    waiting.set(syncId, acks);
    try {
      const { rows } = await pool().query<{ id: string; ms: string }>(ASK_OTHERS, [syncId, instanceId]);
      await Promise.all(
        rows.map(
          (row) =>
            new Promise<void>((resolve) => {
              if (acks.answered.has(row.id)) return resolve();
              // Acknowledged, or its lease has ended (it trusts nothing it kept after that). No
              // instance's lease runs longer than leaseMs: a row that says so was not written by one.
              const timer = setTimeout(resolve, Math.min(Number(row.ms), leaseMs) + marginMs).unref();
              acks.waiters.set(row.id, () => {
                clearTimeout(timer);
                resolve();
              });
            }),
        ),
      );
    } finally {
      waiting.delete(syncId);
    }
  }

  // One round at a time; a write that changed something waits for a round that began after it.
  let round: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  function heardEverywhere(): Promise<void> {
    if (next) return next;
    if (!round) {
      round = askOthers().finally(() => {
        round = null;
      });
      return round;
    }
    next = round
      .catch(() => {})
      .then(() => {
        next = null;
        return heardEverywhere();
      });
    return next;
  }

  async function heardWrite<T>(write: () => Promise<T>): Promise<T> {
    writing++;
    try {
      const before = ownChanges;
      const result = await write();
      if (ownChanges !== before) await heardEverywhere();
      return result;
    } finally {
      writing--;
    }
  }

  /** pg's client, listening before it is first used (a pool hands it out once connect() is done). */
  function listeningClient(): typeof pg.Client {
    return class ListeningClient extends pg.Client {
      /** The statement last sent that may write (not a transaction's BEGIN or COMMIT, nor a read). */
      last = "";

      // biome-ignore lint/suspicious/noExplicitAny: pg's overloads (text or a config, values, a callback)
      override query(...args: any[]): any {
        const [first] = args;
        const text: string = typeof first === "string" ? first : (first?.text ?? "");
        if (!NOT_A_WRITE.test(text)) this.last = text;
        // biome-ignore lint/suspicious/noExplicitAny: as above
        return (super.query as (...a: any[]) => any)(...args);
      }

      // biome-ignore lint/suspicious/noExplicitAny: pg's overloads (a promise, or a callback)
      override connect(callback?: (...args: any[]) => void): any {
        const ready = super.connect().then(async () => {
          this.on("notification", (message) => {
            if (message.channel !== GRANTS) return;
            heard++;
            if (message.payload !== String((this as unknown as { processID: number }).processID)) return;
            ownChanges++;
            // A connection hears its own statement's change before the statement answers: while
            // no heard write runs, this one went around them.
            if (writing === 0) onUnheardWrite(tableWritten(this.last));
          });
          await this.query(`LISTEN ${GRANTS}`);
          return this;
        });
        if (!callback) return ready;
        ready.then(() => callback(null, this), callback);
      }
    };
  }

  void listen();

  return {
    instanceId,
    get heard() {
      return heard;
    },
    get ownChanges() {
      return ownChanges;
    },
    hearsAll: () => listener !== null && performance.now() < trustedUntil,
    heardEverywhere,
    heardWrite,
    whenAsked: (hook) => hooks.push(hook),
    Client: listeningClient(),
    async close() {
      closed = true;
      clearTimeout(renewing);
      clearTimeout(reconnecting);
      const client = listener;
      listener = null;
      trustedUntil = 0;
      if (client) {
        await onListener(client, LEAVE, [instanceId]).catch(() => {});
        await client.end().catch(() => {});
      }
    },
  };
}
