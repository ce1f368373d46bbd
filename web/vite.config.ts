import { fileURLToPath, URL } from "node:url";
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [react(), tailwindcss()],
  resolve: {
    alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) },
  },
  server: {
    // The Rust server serves the API; in development Vite only serves the dashboard.
    // GURURMM_API_URL points the proxy at a server on another address.
    proxy: { "/api": { target: process.env.GURURMM_API_URL ?? "http://127.0.0.1:8080", changeOrigin: false } },
  },
  build: {
    outDir: "dist",
    sourcemap: false,
    // Swagger UI's bundle alone is about 1.6 MB; it is loaded by the API docs page only.
    chunkSizeWarningLimit: 1800,
    // Two pages: the dashboard, and the API documentation the server serves at /docs.
    rolldownOptions: {
      input: {
        index: fileURLToPath(new URL("./index.html", import.meta.url)),
        apiDocs: fileURLToPath(new URL("./docs/index.html", import.meta.url)),
      },
    },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
