// The leak tripwire's matcher (sdk/src/value-scan.ts): every form of every value found, in whole
// bytes and in streams cut anywhere, and nothing found in text that holds none.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CONCEALED, valueForms, valueMatcher } from "../../sdk/src/value-scan.ts";

const text = (bytes: Uint8Array | Uint8Array[]) =>
  (Array.isArray(bytes) ? Buffer.concat(bytes) : Buffer.from(bytes)).toString("utf8");

/** Every way the tests print or send a value. */
function disguises(value: string): string[] {
  const raw = Buffer.from(value);
  return [
    value,
    raw.toString("base64"),
    raw.toString("base64url"),
    `xy${raw.toString("base64")}`,
    Buffer.concat([Buffer.from("a"), raw, Buffer.from("zz")]).toString("base64"),
    Buffer.concat([Buffer.from("ab"), raw]).toString("base64"),
    Buffer.concat([Buffer.from("ab"), raw, Buffer.from("?")]).toString("base64url"),
    encodeURIComponent(value),
    new URLSearchParams({ q: value }).toString(),
    JSON.stringify({ key: value }),
    raw.toString("hex"),
  ];
}

/** The naive answer: is any form of any value in the text? */
const naive = (haystack: string, values: string[]) =>
  values.filter((value) => valueForms(value).some((form) => haystack.includes(form)));

describe("the value matcher", () => {
  const values = ["sk-ant-api03-Zx9/Qw+rT==", 'p@ss "word" é/ü', "postgres://app:hunter22@db:5432/app", "A1b2C3d4"];

  it("finds each value in every disguise, and replaces it", () => {
    const matcher = valueMatcher(values);
    if (!matcher) throw new Error("nothing to look for");
    for (const [index, value] of values.entries()) {
      for (const shown of disguises(value)) {
        const line = `before ${shown} after\n`;
        expect(
          matcher.scan(Buffer.from(line)).map((match) => match.value),
          `${value} as ${shown}`,
        ).toContain(index);
        const replacer = matcher.replacing(CONCEALED);
        const out = text(replacer.push(Buffer.from(line)).out) + text(replacer.end());
        expect(out).toContain(CONCEALED);
        for (const form of valueForms(value)) expect(out).not.toContain(form);
      }
    }
  });

  it("finds values split across chunks at every cut, and passes text with no value's start at once", () => {
    const matcher = valueMatcher(values);
    if (!matcher) throw new Error("nothing to look for");
    const line = `one ${values[2]} two ${Buffer.from(values[0] as string).toString("base64")} three\n`;
    for (let cut = 1; cut < line.length; cut++) {
      const replacer = matcher.replacing(CONCEALED);
      const out =
        text(replacer.push(Buffer.from(line.slice(0, cut))).out) +
        text(replacer.push(Buffer.from(line.slice(cut))).out) +
        text(replacer.end());
      expect(out).toBe(`one ${CONCEALED} two ${CONCEALED} three\n`);
      const watcher = matcher.watching();
      watcher.push(Buffer.from(line.slice(0, cut)));
      expect(watcher.push(Buffer.from(line.slice(cut))).sort()).toEqual([0, 2]);
    }
    const replacer = matcher.replacing(CONCEALED);
    expect(text(replacer.push(Buffer.from("a clean line\n")).out)).toBe("a clean line\n");
  });

  it("agrees with a naive search on random text with planted values", () => {
    const many = Array.from({ length: 50 }, () => randomBytes(12).toString("base64url"));
    const matcher = valueMatcher(many);
    if (!matcher) throw new Error("nothing to look for");
    for (let round = 0; round < 200; round++) {
      const planted = many.filter(() => Math.random() < 0.05);
      let haystack = randomBytes(500).toString("base64");
      for (const value of planted) {
        const shown = disguises(value)[Math.floor(Math.random() * 11)] as string;
        haystack += ` ${shown} ${randomBytes(Math.floor(Math.random() * 500)).toString("base64")}`;
      }
      const found = new Set(matcher.scan(Buffer.from(haystack)).map((match) => many[match.value]));
      // Streamed in chunks of any size, the same output as in one piece.
      const whole = matcher.replacing(CONCEALED);
      const expected = text(whole.push(Buffer.from(haystack)).out) + text(whole.end());
      const streamed = matcher.replacing(CONCEALED);
      let out = "";
      for (let at = 0; at < haystack.length; ) {
        const size = 1 + Math.floor(Math.random() * (Math.random() < 0.5 ? 20 : 400));
        out += text(streamed.push(Buffer.from(haystack.slice(at, at + size))).out);
        at += size;
      }
      expect(out + text(streamed.end())).toBe(expected);
      expect([...found].sort()).toEqual(naive(haystack, many).sort());
      for (const value of planted) expect(found.has(value)).toBe(true);
    }
  });

  it("finds nothing in ordinary text, and skips values shorter than 8 characters", () => {
    const matcher = valueMatcher(["short", ...Array.from({ length: 50 }, () => randomBytes(16).toString("hex"))]);
    if (!matcher) throw new Error("nothing to look for");
    const prose = 'The quick brown fox jumps over the lazy dog; {"role": "user", "content": "short"}\n'.repeat(2000);
    expect(matcher.scan(Buffer.from(prose))).toEqual([]);
    expect(valueMatcher(["short", "1234567"])).toBeNull();
  });
});
