// Dev helper: label and tab-order checks of every page against a running `npx vulnsync demo`.
//   npx tsx dev/a11y.ts [http://127.0.0.1:8080]
import { DEMO_PASSWORD, DEMO_USER } from '@vulnsync/server/demo.ts'
import { launch, shot } from '../e2e/browser.ts'

const base = process.argv[2] ?? 'http://127.0.0.1:8080'
const { context, close } = await launch({ viewport: { width: 1100, height: 800 } })
const page = await context.newPage()
page.on('pageerror', (e) => console.log('pageerror:', e.message))
await page.goto(`${base}/signin`)
await page.getByLabel('User name', { exact: true }).fill(DEMO_USER)
await page.getByLabel('Password', { exact: true }).fill(DEMO_PASSWORD)
await page.getByRole('button', { name: 'Sign in' }).click()
await page.getByRole('heading', { name: 'Vulnerabilities' }).waitFor()
// the first issue of the queue stands for the detail page
const detail = await page.locator('tbody tr .cell-cve a').first().getAttribute('href')
for (const path of [
  '/vulnerabilities',
  ...(detail ? [detail] : []),
  '/integrations',
  '/repositories',
  '/repositories/unmatched',
  '/users',
  '/decisions',
  '/prioritisation',
  '/settings',
]) {
  await page.goto(`${base}${path}`)
  await page.locator('#page-title').waitFor()
  await page.waitForTimeout(400)
  const bad = await page.evaluate(() => {
    const out: string[] = []
    for (const el of Array.from(document.querySelectorAll('input, select, textarea, button, a'))) {
      const h = el as HTMLElement
      if (h.offsetParent === null) continue
      const named =
        h.getAttribute('aria-label') ||
        h.getAttribute('aria-labelledby') ||
        ((el as HTMLInputElement).labels?.length ?? 0) > 0 ||
        ((el.tagName === 'BUTTON' || el.tagName === 'A') && h.textContent?.trim())
      if (!named) out.push(h.outerHTML.slice(0, 100))
    }
    return out
  })
  await page.locator('body').focus()
  const stops: string[] = []
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab')
    stops.push(
      await page.evaluate(() => {
        const a = document.activeElement as HTMLElement
        return `${a.tagName.toLowerCase()}:${(a.getAttribute('aria-label') ?? a.textContent ?? (a as HTMLInputElement).placeholder ?? '').trim().slice(0, 28)}`
      }),
    )
  }
  console.log(path, bad.length ? `UNLABELLED ${JSON.stringify(bad)}` : 'labels ok')
  console.log('  tab:', stops.join(' | '))
  await page.screenshot({ path: shot(`dev-narrow${path.replace(/\//g, '-')}`) })
}
await close()
