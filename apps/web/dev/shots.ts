// Dev helper: screenshots of every page against a running `npx vulnsync demo` (it changes nothing there).
//   npx tsx dev/shots.ts [http://127.0.0.1:8080]
import { DEMO_PASSWORD, DEMO_USER } from '@vulnsync/server/demo.ts'
import { launch, shot } from '../e2e/browser.ts'

const base = process.argv[2] ?? 'http://127.0.0.1:8080'
const { context, close } = await launch()
const page = await context.newPage()
page.on('console', (m) => {
  if (m.type() === 'error' || m.type() === 'warning') console.log('console:', m.type(), m.text())
})
page.on('pageerror', (e) => console.log('pageerror:', e.message))
await page.goto(`${base}/vulnerabilities?severity=high`)
await page.getByLabel('User name', { exact: true }).fill(DEMO_USER)
await page.getByLabel('Password', { exact: true }).fill(DEMO_PASSWORD)
await page.screenshot({ path: shot('dev-signin') })
await page.getByRole('button', { name: 'Sign in' }).click()
await page.getByRole('heading', { name: 'Vulnerabilities' }).waitFor()
await page.locator('tbody tr').first().waitFor()
console.log('url after sign-in', page.url())
await page.screenshot({ path: shot('dev-queue'), fullPage: false })
const detail = await page.locator('tbody tr .cell-cve a').first().getAttribute('href')

await page.goto(`${base}/integrations`)
await page.locator('article[data-kind]').first().waitFor()
await page.waitForTimeout(500)
await page.screenshot({ path: shot('dev-hub') })
await page
  .locator('article[data-kind]')
  .first()
  .getByRole('button', { name: /^Connect$|^Add another/ })
  .click()
await page.getByRole('dialog').waitFor()
await page.screenshot({ path: shot('dev-connect') })
await page.keyboard.press('Escape')
await page
  .getByRole('button', { name: /Choose what/ })
  .first()
  .click()
await page.getByRole('dialog').getByText('Only the').click()
await page.screenshot({ path: shot('dev-locations') })
await page.keyboard.press('Escape')
await page
  .getByRole('link', { name: /Sync history of/ })
  .first()
  .click()
await page.getByRole('heading', { name: /Sync history/ }).waitFor()
await page.screenshot({ path: shot('dev-syncs') })

if (detail) {
  await page.goto(`${base}${detail}`)
  await page.getByRole('heading', { name: 'Timeline' }).waitFor()
  await page.screenshot({ path: shot('dev-detail'), fullPage: true })
}
await page.goto(`${base}/repositories/unmatched`)
await page.locator('#page-title').waitFor()
const map = page.getByRole('button', { name: /Map .* to a repository/ }).first()
if (await map.count()) {
  await map.click()
  await page.getByRole('combobox').fill('a')
  await page.waitForTimeout(600)
  await page.keyboard.press('ArrowDown')
  await page.screenshot({ path: shot('dev-map') })
  await page.keyboard.press('Escape')
}
await page.screenshot({ path: shot('dev-unmatched') })
await page.goto(`${base}/users`)
await page.getByRole('heading', { name: 'Users' }).waitFor()
await page.screenshot({ path: shot('dev-users') })
for (const [path, name] of [
  ['/vulnerabilities?assignee=me', 'dev-assigned-to-me'],
  ['/decisions', 'dev-decisions'],
  ['/prioritisation', 'dev-prioritisation'],
  ['/settings', 'dev-settings'],
]) {
  await page.goto(`${base}${path}`)
  await page.locator('#page-title').waitFor()
  await page.waitForTimeout(500)
  await page.screenshot({ path: shot(name as string) })
}
await close()
