import { describe, expect, it } from 'vitest'
import type { ConnectorInfo } from './api.ts'
import { type Catalogue, kindDisplay } from './connectors-cache.ts'

const endor: ConnectorInfo = {
  kind: 'endor',
  title: 'Endor Labs',
  logoLetters: 'EL',
  description: 'Imports Endor Labs findings.',
  help: 'Create an API key in Endor Labs.',
  role: 'scanner',
  configSchema: {},
  secretsSchema: {},
  secretFields: ['apiKey', 'apiSecret'],
}
const ready: Catalogue = { status: 'ready', items: [endor] }

describe('how a connector kind is shown', () => {
  it("takes the title and logo letters from the server's catalogue", () => {
    expect(kindDisplay(ready, 'endor')).toEqual({ title: 'Endor Labs', logoLetters: 'EL' })
  })

  it('falls back to the kind itself for a kind the server no longer ships (an old connection)', () => {
    expect(kindDisplay(ready, 'snyk')).toEqual({ title: 'Snyk', logoLetters: 'SN' })
  })

  it('falls back the same way while the catalogue is missing', () => {
    expect(kindDisplay({ status: 'failed', error: new Error('offline') }, 'endor')).toEqual({
      title: 'Endor',
      logoLetters: 'EN',
    })
    expect(kindDisplay({ status: 'loading' }, 'gitlab')).toEqual({ title: 'Gitlab', logoLetters: 'GI' })
  })
})
