import { defineConfig } from 'vitest/config'

// Browser tests of the web app in Debian's chromium, against a real server (startTestApp({ serveWeb: true })).
// Run after `npx vite build` (the server serves apps/web/dist):
//   cd /work/main && npx vitest run --config apps/web/vitest.e2e.config.ts
export default defineConfig({
  test: {
    root: new URL('.', import.meta.url).pathname,
    include: ['e2e/**/*.e2e.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
})
