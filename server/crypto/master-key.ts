// The master key ring: one or more 32-byte keys, each with a version. New writes use the
// highest version; older versions stay readable until every value has been rewrapped.

export const MASTER_KEY_BYTES = 32;

export type MasterKey = { version: number; key: Buffer };
export type MasterKeyRing = { current: MasterKey; byVersion: ReadonlyMap<number, MasterKey> };

export class MasterKeyError extends Error {
  override name = "MasterKeyError";
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Parses `<base64>` (version 1) or a comma-separated list of `<version>:<base64>`.
 * `setting` names where the text came from; error messages name it and never the value.
 */
export function parseMasterKeys(text: string, setting: string): MasterKeyRing {
  const items = text
    .trim()
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) throw new MasterKeyError(`${setting} is empty: it must hold a 32-byte key in base64`);
  const byVersion = new Map<number, MasterKey>();
  for (const item of items) {
    const match = /^(?:(\d{1,6}):)?(.*)$/.exec(item);
    const version = match?.[1] ? Number(match[1]) : 1;
    const encoded = match?.[2] ?? "";
    if (version < 1) throw new MasterKeyError(`${setting}: key versions start at 1`);
    if (!BASE64.test(encoded) || encoded.length % 4 !== 0) {
      throw new MasterKeyError(`${setting} is not valid base64: generate a key with \`openssl rand -base64 32\``);
    }
    const key = Buffer.from(encoded, "base64");
    if (key.length !== MASTER_KEY_BYTES) {
      throw new MasterKeyError(
        `${setting} must decode to ${MASTER_KEY_BYTES} bytes, not ${key.length}: generate one with \`openssl rand -base64 32\``,
      );
    }
    if (byVersion.has(version)) throw new MasterKeyError(`${setting} names key version ${version} twice`);
    byVersion.set(version, { version, key });
  }
  const current = [...byVersion.values()].reduce((a, b) => (b.version > a.version ? b : a));
  return { current, byVersion };
}
