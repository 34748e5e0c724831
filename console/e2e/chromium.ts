// Debian's Chromium, as the console's tests, screenshots and benchmark launch it. This machine's
// closed network refuses Chromium's background connections: the flags turn them off
// (../shared/notes).
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
