// Launches Debian's chromium through playwright-core (no downloaded browsers), with a fresh profile directory.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BrowserContext, chromium } from 'playwright-core'

export const ARTIFACTS =
  process.env.VULNSYNC_ARTIFACTS ?? fileURLToPath(new URL('../../../.test-artifacts/web/', import.meta.url))

export async function launch(
  opts: { viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'vulnsync-chromium-'))
  mkdirSync(ARTIFACTS, { recursive: true })
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    viewport: opts.viewport ?? { width: 1440, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  return {
    context,
    close: async () => {
      await context.close().catch(() => {})
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

export const shot = (name: string) => join(ARTIFACTS, `${name}.png`)
