import { defineConfig } from "vitest/config";

// The Tauri shell loads ui/dist in release builds and http://localhost:5173 under `tauri dev`.
export default defineConfig({
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK 2.4x+ on Linux, WebView2 on Windows, WKWebView on macOS 13+.
    target: "es2022",
    sourcemap: false,
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
  },
});
