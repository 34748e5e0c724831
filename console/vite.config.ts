import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The console builds to console/dist, which the vault serves at / (server/http/console-files.ts):
// hashed file names under assets/, no inline script (the page's Content-Security-Policy allows
// only the console's own files).
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  resolve: { conditions: ["source", "browser", "module", "import", "default"] },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    chunkSizeWarningLimit: 600,
  },
  server: { proxy: { "/graphql": "http://localhost:4000", "/console/session": "http://localhost:4000" } },
});
