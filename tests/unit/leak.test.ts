// The tripwire's pure parts at the broker: the operator's policy, and a request's head and body
// looked through (the matcher itself is tests/unit/value-scan.test.ts's).
import { valueMatcher } from "@agent-vault/sdk/value-scan";
import { describe, expect, it } from "vitest";
import { leakPolicy } from "../../server/modules/leak/leak-policy.ts";
import type { Watched } from "../../server/modules/leak/leak-values.ts";
import {
  foundInChunks,
  inspectBody,
  inspectedStream,
  inspectHead,
  REDACTED_IN_REQUEST,
} from "../../server/modules/leak/request-inspection.ts";

const values = ["sk-live-0123456789abcdef", "pässwörd-with-umlauts"];
const watched: Watched = {
  matcher: valueMatcher(values) as NonNullable<ReturnType<typeof valueMatcher>>,
  secrets: [
    { id: "1", name: "STRIPE_KEY" },
    { id: "2", name: "DB_PASSWORD" },
  ],
};

describe("the leak policy", () => {
  it("is block unless set, takes the four policies in any case, and refuses anything else", () => {
    expect(leakPolicy({})).toBe("block");
    expect(leakPolicy({ AGENT_VAULT_LEAK_POLICY: " Redact " })).toBe("redact");
    expect(leakPolicy({ AGENT_VAULT_LEAK_POLICY: "record" })).toBe("record");
    expect(leakPolicy({ AGENT_VAULT_LEAK_POLICY: "off" })).toBe("off");
    expect(() => leakPolicy({ AGENT_VAULT_LEAK_POLICY: "warn" })).toThrow(
      "AGENT_VAULT_LEAK_POLICY must be one of block, redact, record, off",
    );
  });
});

describe("a request looked through", () => {
  it("finds values in headers (sent as UTF-8 or as latin1), the path and the query, and redacts them there", () => {
    const asUtf8 = Buffer.from(`x ${values[1]}`).toString("latin1");
    const head = inspectHead(
      watched,
      { "x-one": asUtf8, "x-two": `y ${values[1]}`, "x-short": "sk", accept: "*/*" },
      [`/v1/${values[0]}`, `?q=${encodeURIComponent(values[1] as string)}`],
      true,
    );
    expect([...head.found].sort()).toEqual([0, 1]);
    expect(head.headers).toMatchObject({
      "x-one": `x ${REDACTED_IN_REQUEST}`,
      "x-two": `y ${REDACTED_IN_REQUEST}`,
      "x-short": "sk",
    });
    expect(head.target).toEqual([
      `/v1/${encodeURIComponent(REDACTED_IN_REQUEST)}`,
      `?q=${encodeURIComponent(REDACTED_IN_REQUEST)}`,
    ]);
    const seen = inspectHead(watched, { "x-two": values[0] as string }, ["/", ""], false);
    expect(seen.headers["x-two"]).toBe(values[0]);
  });

  it("finds a value in a body whole, in chunks cut through it, and as it streams", async () => {
    const body = Buffer.from(JSON.stringify({ content: `key ${values[0]} end` }));
    expect([...inspectBody(watched, body, false).found]).toEqual([0]);
    expect(String(inspectBody(watched, body, true).body)).toBe(
      JSON.stringify({ content: `key ${REDACTED_IN_REQUEST} end` }),
    );
    const cut = body.indexOf("0123");
    expect([...foundInChunks(watched, [body.subarray(0, cut), body.subarray(cut)])]).toEqual([0]);
    for (const redact of [true, false]) {
      let found: Set<number> = new Set();
      const pieces: Buffer[] = [];
      for await (const piece of inspectedStream(watched, [body.subarray(0, cut), body.subarray(cut)], redact, (f) => {
        found = f;
      }))
        pieces.push(piece);
      expect([...found]).toEqual([0]);
      expect(String(Buffer.concat(pieces))).toBe(redact ? String(inspectBody(watched, body, true).body) : String(body));
    }
  });
});
