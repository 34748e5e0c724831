// Searches outputs for planted marker values in every encoding a leak could take.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

export function encodings(marker: string): Buffer[] {
  const raw = Buffer.from(marker, "utf8");
  return [
    raw,
    Buffer.from(raw.toString("base64").replace(/=+$/, "")),
    Buffer.from(raw.toString("base64url").replace(/=+$/, "")),
    Buffer.from(raw.toString("hex")),
    Buffer.from(raw.toString("hex").toUpperCase()),
    Buffer.from(JSON.stringify(marker).slice(1, -1)),
    Buffer.from(marker, "utf16le"),
  ];
}

/** The markers found in a buffer or string, in any encoding. */
export function findMarkers(haystack: Buffer | string, markers: readonly string[]): string[] {
  const bytes = typeof haystack === "string" ? Buffer.from(haystack, "utf8") : haystack;
  return markers.filter((marker) => encodings(marker).some((encoded) => bytes.includes(encoded)));
}

/** Every file under a directory, recursively. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const full = path.join(dir, name);
    let stat: ReturnType<typeof statSync> | undefined;
    try {
      stat = statSync(full, { throwIfNoEntry: false });
    } catch {
      continue;
    }
    if (stat?.isDirectory()) out.push(...filesUnder(full));
    else if (stat?.isFile()) out.push(full);
  }
  return out;
}

const MAX_SCANNED_BYTES = 256 * 1024 * 1024;

export function scanFiles(files: readonly string[], markers: readonly string[]): { file: string; markers: string[] }[] {
  return files
    .filter((file) => (statSync(file, { throwIfNoEntry: false })?.size ?? 0) <= MAX_SCANNED_BYTES)
    .map((file) => {
      try {
        return { file, markers: findMarkers(readFileSync(file), markers) };
      } catch {
        return { file, markers: [] }; // gone or unreadable since it was listed
      }
    })
    .filter((hit) => hit.markers.length > 0);
}
