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
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const stat = statSync(full, { throwIfNoEntry: false });
    if (stat?.isDirectory()) out.push(...filesUnder(full));
    else if (stat?.isFile()) out.push(full);
  }
  return out;
}

export function scanFiles(files: readonly string[], markers: readonly string[]): { file: string; markers: string[] }[] {
  return files
    .map((file) => ({ file, markers: findMarkers(readFileSync(file), markers) }))
    .filter((hit) => hit.markers.length > 0);
}
