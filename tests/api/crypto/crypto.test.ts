// Unit tests of server/crypto: the one place tested below the API, because its promises
// (a standard KDF, tamper evidence, binding) are about bytes no API shows.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DecryptionError, isCurrentFormat, open, seal, sealedKeyVersion } from "../../../server/crypto/cipher.ts";
import { fingerprint } from "../../../server/crypto/fingerprint.ts";
import { hkdfSha256 } from "../../../server/crypto/hkdf.ts";
import { MasterKeyError, parseMasterKeys } from "../../../server/crypto/master-key.ts";
import { TokenHasher, tokenDigest } from "../../../server/crypto/token-hash.ts";
import { generateToken, tokenKind } from "../../../server/crypto/tokens.ts";
import { UnknownKeyVersionError, UserKeyring } from "../../../server/crypto/user-keys.ts";
import { format1Blob } from "../../helpers/format1-blob.ts";
import { mistyped } from "../../helpers/tokens.ts";

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ""), "hex");

describe("HKDF-SHA256", () => {
  it("matches RFC 5869 test case 1", () => {
    const okm = hkdfSha256(
      hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
      hex("000102030405060708090a0b0c"),
      hex("f0f1f2f3f4f5f6f7f8f9"),
      42,
    );
    expect(okm.toString("hex")).toBe(
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
    );
  });

  it("matches RFC 5869 test case 3 (empty salt and info)", () => {
    const okm = hkdfSha256(hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), Buffer.alloc(0), "", 42);
    expect(okm.toString("hex")).toBe(
      "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
    );
  });
});

describe("per-user keys", () => {
  const ring = parseMasterKeys(randomBytes(32).toString("base64"), "TEST_KEY");
  const keyring = new UserKeyring(ring);

  it("differ between users, between purposes and between salts", () => {
    const salt = randomBytes(32);
    const alice = keyring.keysFor("alice", salt);
    const bob = keyring.keysFor("bob", salt);
    const aliceOtherSalt = new UserKeyring(ring).keysFor("alice", randomBytes(32));
    const all = [alice.encryption, alice.fingerprint, bob.encryption, bob.fingerprint, aliceOtherSalt.encryption];
    expect(new Set(all.map((key) => key.export().toString("hex"))).size).toBe(all.length);
  });

  it("refuse a key version that is not configured", () => {
    expect(() => keyring.keysFor("alice", randomBytes(32), 7)).toThrow(UnknownKeyVersionError);
  });
});

describe("AES-256-GCM sealing", () => {
  const key = randomBytes(32);
  const binding = { userId: "user-1", entryId: "entry-1", kind: "SECRET" };

  it("round-trips a value and records the key version", () => {
    const blob = seal(key, 3, "héllo wörld", binding);
    expect(open(key, blob, binding)).toBe("héllo wörld");
    expect(sealedKeyVersion(blob)).toBe(3);
  });

  it("never repeats a nonce and never stores the plaintext", () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const blob = seal(key, 1, "same value", binding);
      nonces.add(blob.subarray(5, 17).toString("hex"));
      expect(blob.includes(Buffer.from("same value"))).toBe(false);
    }
    expect(nonces.size).toBe(2000);
  });

  it("refuses a blob with any single byte flipped", () => {
    const blob = seal(key, 1, "a secret worth tampering with", binding);
    let accepted = 0;
    for (let i = 0; i < blob.length; i++) {
      const tampered = Buffer.from(blob);
      tampered[i] = (tampered[i] as number) ^ 0x01;
      try {
        open(key, tampered, binding);
        accepted++;
      } catch (error) {
        expect(error).toBeInstanceOf(DecryptionError);
      }
    }
    expect(accepted).toBe(0);
  });

  it("refuses a blob copied to another entry or another user, or opened as another kind", () => {
    const blob = seal(key, 1, "bound value", binding);
    expect(() => open(key, blob, { ...binding, entryId: "entry-2" })).toThrow(DecryptionError);
    expect(() => open(key, blob, { ...binding, userId: "user-2" })).toThrow(DecryptionError);
    // A secret's row turned into a variable's: its value does not open as a variable's.
    expect(() => open(key, blob, { ...binding, kind: "VARIABLE" })).toThrow(DecryptionError);
  });

  it("still opens a format 1 blob (from before the kind was bound), whatever kind is asked", () => {
    const blob = format1Blob(key, 1, "user-1", "entry-1", "old value");
    expect(isCurrentFormat(blob)).toBe(false);
    expect(open(key, blob, binding)).toBe("old value");
    expect(isCurrentFormat(seal(key, 1, "new value", binding))).toBe(true);
  });

  it("refuses a truncated tag and a wrong key", () => {
    const blob = seal(key, 1, "value", binding);
    expect(() => open(key, blob.subarray(0, blob.length - 4), binding)).toThrow(DecryptionError);
    expect(() => open(randomBytes(32), blob, binding)).toThrow(DecryptionError);
  });
});

describe("fingerprints", () => {
  it("are equal for equal values of one entry, and unrelated for another entry or another key", () => {
    const key = randomBytes(32);
    expect(fingerprint(key, "entry-1", "v")).toBe(fingerprint(key, "entry-1", "v"));
    expect(fingerprint(key, "entry-1", "v")).not.toBe(fingerprint(key, "entry-1", "w"));
    expect(fingerprint(key, "entry-2", "v")).not.toBe(fingerprint(key, "entry-1", "v"));
    expect(fingerprint(randomBytes(32), "entry-1", "v")).not.toBe(fingerprint(key, "entry-1", "v"));
    // The entry's id and the value cannot trade characters.
    expect(fingerprint(key, "ab", "c")).not.toBe(fingerprint(key, "a", "bc"));
    expect(fingerprint(key, "entry-1", "v")).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("master key parsing", () => {
  const key = randomBytes(32).toString("base64");

  it("accepts a bare key as version 1 and a versioned list", () => {
    expect(parseMasterKeys(key, "K").current.version).toBe(1);
    const ring = parseMasterKeys(`1:${key},2:${randomBytes(32).toString("base64")}`, "K");
    expect(ring.current.version).toBe(2);
    expect([...ring.byVersion.keys()].sort()).toEqual([1, 2]);
  });

  it.each([
    ["empty", ""],
    ["short", randomBytes(16).toString("base64")],
    ["long", randomBytes(48).toString("base64")],
    ["not base64", "this is not base64 at all!!"],
    ["duplicate version", `1:${key},1:${key}`],
  ])("refuses a %s key, naming the setting and not the value", (_label, value) => {
    try {
      parseMasterKeys(value, "AGENT_VAULT_MASTER_KEY");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(MasterKeyError);
      expect((error as Error).message).toContain("AGENT_VAULT_MASTER_KEY");
      if (value) expect((error as Error).message).not.toContain(value);
    }
  });
});

describe("tokens", () => {
  it("carry their type prefix and a checksum", () => {
    const api = generateToken("api");
    const runtime = generateToken("runtime");
    expect(api).toMatch(/^avt_[0-9A-Za-z]{38}$/);
    expect(runtime).toMatch(/^avr_[0-9A-Za-z]{38}$/);
    expect(tokenKind(api)).toBe("api");
    expect(tokenKind(runtime)).toBe("runtime");
  });

  it("fail the checksum when a character changes", () => {
    const token = generateToken("api");
    expect(tokenKind(mistyped(token))).toBeNull();
    const i = [...token].findIndex((char, at) => at >= 4 && at < 40 && char !== token[at + 1]);
    expect(tokenKind(`${token.slice(0, i)}${token[i + 1]}${token[i]}${token.slice(i + 2)}`)).toBeNull();
  });

  it("are stored as a keyed hash, which someone without the key cannot compute", () => {
    const token = generateToken("api");
    const key = randomBytes(32);
    const hashed = new TokenHasher(key).hash(token);
    expect(hashed).toMatch(/^[0-9a-f]{64}$/);
    expect(hashed).not.toBe(tokenDigest(token));
    expect(new TokenHasher(randomBytes(32)).hash(token)).not.toBe(hashed);
    // The keyed hash is of the plain SHA-256, so rows from before keyed hashes are rehashed in place.
    expect(new TokenHasher(key).keyed(tokenDigest(token))).toBe(hashed);
  });
});
