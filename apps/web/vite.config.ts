import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// The SPA is served by `vulnsync serve` from apps/web/dist (SPA fallback on the server).
// In development `vite` proxies the public API to a vulnsync server on 127.0.0.1:8080, usually `npx vulnsync demo`.
// changeOrigin stays false: the server refuses a cookie-authenticated write whose Origin is not its Host header.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  server: {
    port: 5173,
    proxy: { '/api': { target: 'http://127.0.0.1:8080', changeOrigin: false } },
  },
})
