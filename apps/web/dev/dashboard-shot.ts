// Dev helper: the README's screenshot of the Dashboard against a running `npx vulnsync demo` (it changes nothing).
//   npx tsx dev/dashboard-shot.ts [http://127.0.0.1:8080]   → docs/images/dashboard.png
import { fileURLToPath } from 'node:url'
import { DEMO_PASSWORD, DEMO_USER } from '@vulnsync/server/demo.ts'
import { launch } from '../e2e/browser.ts'

const base = process.argv[2] ?? 'http://127.0.0.1:8080'
const out = fileURLToPath(new URL('../../../docs/images/dashboard.png', import.meta.url))
const { context, close } = await launch({ viewport: { width: 1440, height: 1200 } })
const page = await context.newPage()
page.on('pageerror', (e) => console.log('pageerror:', e.message))
await page.goto(`${base}/signin`)
await page.getByLabel('User name', { exact: true }).fill(DEMO_USER)
await page.getByLabel('Password', { exact: true }).fill(DEMO_PASSWORD)
await page.getByRole('button', { name: 'Sign in' }).click()
await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor()
await page.getByRole('button', { name: '6 months' }).click()
await page.waitForURL(/window=180d/)
await page.locator('[data-testid="chart-overlap"] svg.recharts-surface').first().waitFor()
await page.waitForTimeout(500)
await page.mouse.move(0, 0)
await page.screenshot({ path: out, fullPage: false })
console.log('saved', out)
await close()
