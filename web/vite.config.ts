/// <reference types="node" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The UI is served by `tradelab serve` at `/`; in development, `npm run dev` proxies
// the API to a server on TRADELAB_API (default http://127.0.0.1:8080).
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: { "/api": process.env.TRADELAB_API ?? "http://127.0.0.1:8080" },
  },
});
