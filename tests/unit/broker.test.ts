// The broker's pure parts: its paths, the addresses upstreams may not be, placeholders, and the
// scrubbing of a value that comes back in pieces.
import { describe, expect, it } from "vitest";
import { isPlaceholder, placeholderFrom, placeholdersIn } from "../../server/crypto/tokens.ts";
import { brokerPath } from "../../server/modules/broker/broker-path.ts";
import { checkedLookup, UpstreamRefusedError } from "../../server/modules/broker/connect-checks.ts";
import { partialMatchAtEnd, REDACTED, scrubbing } from "../../server/modules/broker/scrubber.ts";
import { privateAddress, privateHost, storedUpstream } from "../../server/modules/broker/upstream.ts";

async function scrub(value: string, chunks: string[]): Promise<{ out: string }> {
  const scrub = scrubbing(value);
  const pieces = chunks.map((chunk) => String(scrub.push(Buffer.from(chunk))));
  return { out: pieces.join("") + String(scrub.end() ?? "") };
}

describe("the scrubber", () => {
  it("replaces the value whole, split across chunks, and many times", async () => {
    expect((await scrub("sk-secret", ["a sk-secret b"])).out).toBe(`a ${REDACTED} b`);
    expect((await scrub("sk-secret", ["a sk-", "sec", "ret b sk-secret"])).out).toBe(`a ${REDACTED} b ${REDACTED}`);
    expect((await scrub("aab", ["aaa", "ab"])).out).toBe(`aa${REDACTED}`);
  });

  it("holds back only what could begin the value, so frames pass as they come", () => {
    const scrub = scrubbing("sk-secret");
    expect(String(scrub.push(Buffer.from("data: one\n\n")))).toBe("data: one\n\n");
    expect(String(scrub.push(Buffer.from("data: two sk")))).toBe("data: two ");
    expect(String(scrub.push(Buffer.from("-x\n\n")))).toBe("sk-x\n\n");
    expect(scrub.end()).toBeNull();
  });

  it("gives back a held prefix that never became the value", async () => {
    expect((await scrub("sk-secret", ["tail sk-sec"])).out).toBe("tail sk-sec");
  });

  it("finds the longest end that begins the value", () => {
    const needle = Buffer.from("abcabd");
    expect(partialMatchAtEnd(Buffer.from("xxabcab"), 0, needle)).toBe(5);
    expect(partialMatchAtEnd(Buffer.from("xxab"), 0, needle)).toBe(2);
    expect(partialMatchAtEnd(Buffer.from("xxy"), 0, needle)).toBe(0);
  });
});

describe("broker paths", () => {
  it("splits the secret's id, the path below the base path and the query", () => {
    expect(brokerPath("/broker/abc-123/v1/messages?beta=true")).toEqual({
      id: "abc-123",
      rest: "/v1/messages",
      query: "?beta=true",
    });
    expect(brokerPath("/broker/abc")).toEqual({ id: "abc", rest: "", query: "" });
  });

  it("refuses what would climb above the base path", () => {
    for (const url of [
      "/broker/abc/../x",
      "/broker/abc/%2e%2e/x",
      "/broker/abc/%2E%2e/x",
      "/broker/abc/a%2f..%2fb",
      "/broker/abc/a%5cb",
      "/broker/abc/a\\b",
      "/broker/abc/./x",
      "/broker/abc/%zz",
      "/broker/../graphql",
      "/broker//x",
    ]) {
      expect(brokerPath(url), url).toHaveProperty("problem");
    }
  });
});

describe("upstream addresses", () => {
  it("knows loopback, private, link-local, metadata and mapped addresses", () => {
    for (const address of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "::",
      "fd00::1",
      "fe80::1",
      "::ffff:127.0.0.1",
      "fd00:ec2::254",
    ]) {
      expect(privateAddress(address), address).toBe(true);
    }
    for (const address of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "172.32.0.1"]) {
      expect(privateAddress(address), address).toBe(false);
    }
    expect(privateHost("localhost")).toBe(true);
    expect(privateHost("metadata.google.internal")).toBe(true);
    expect(privateHost("[::1]")).toBe(true);
    expect(privateHost("api.example.com")).toBe(false);
  });

  it("refuses a name that resolves to a private address, when connecting", async () => {
    const error = await new Promise<Error | null>((resolve) => checkedLookup("localhost", {}, (e) => resolve(e)));
    expect(error).toBeInstanceOf(UpstreamRefusedError);
  });

  it("stores an upstream in one form: lower-case header, no trailing slash", () => {
    expect(
      JSON.parse(
        storedUpstream({ baseUrl: "https://API.example.com/v1/", header: "X-Api-Key" }, { allowPrivate: false }),
      ),
    ).toEqual({
      baseUrl: "https://api.example.com/v1",
      header: "x-api-key",
      template: "{value}",
      baseUrlVariable: null,
    });
    expect(() => storedUpstream({ baseUrl: "https://x.example", header: "host" }, { allowPrivate: false })).toThrow(
      /cannot carry/,
    );
    expect(() =>
      storedUpstream({ baseUrl: "https://x.example", baseUrlVariable: "LD_PRELOAD" }, { allowPrivate: false }),
    ).toThrow();
  });
});

describe("placeholders", () => {
  it("are checksummed like tokens, and found in a header's value", () => {
    const placeholder = placeholderFrom(Buffer.alloc(32, 7));
    expect(isPlaceholder(placeholder)).toBe(true);
    expect(isPlaceholder(`${placeholder.slice(0, -1)}x`)).toBe(false);
    expect(placeholdersIn(`Bearer ${placeholder}`)).toEqual([placeholder]);
    expect(placeholdersIn("Bearer avb_short")).toEqual([]);
  });
});
