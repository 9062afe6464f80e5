import type { FeedName } from '@vulnsync/core'
import type { GuardedHttpClient } from '../kit/http.ts'
import { type EpssRow, readEpss } from './epss.ts'
import { type KevRow, readKev } from './kev.ts'
import type { FeedRead, OnBatch } from './read.ts'

export { FeedFormatError } from './bytes.ts'
export type { EpssRow } from './epss.ts'
export type { KevRow } from './kev.ts'
export type { FeedRead, OnBatch } from './read.ts'

/** The rows each feed's reader hands on. */
export interface FeedRows {
  kev: KevRow
  epss: EpssRow
}

export interface FeedDefinition<N extends FeedName> {
  name: N
  title: string
  /** what the file is, for messages and the settings page */
  format: string
  read(input: AsyncIterable<Uint8Array>, onBatch: OnBatch<FeedRows[N]>): Promise<FeedRead>
}

/** Every feed, exhaustively: a feed name without a definition does not compile. */
export const FEEDS: { [N in FeedName]: FeedDefinition<N> } = {
  kev: {
    name: 'kev',
    title: 'CISA Known Exploited Vulnerabilities',
    format: 'the KEV catalog (JSON, optionally gzip)',
    read: readKev,
  },
  epss: {
    name: 'epss',
    title: 'FIRST EPSS',
    format: 'the EPSS daily scores (CSV, usually gzip)',
    read: readEpss,
  },
}

/** A whole feed download may take this long (the EPSS file is a few MB; mirrors can be slow). */
export const FEED_DOWNLOAD_TIMEOUT_MS = 10 * 60_000

/** A feed's bytes from its URL through the guarded client (SSRF guard, retries, no cross-host redirect). */
export const downloadFeed = async (http: GuardedHttpClient, url: string): Promise<AsyncIterable<Uint8Array>> =>
  (await http.stream({ url, headers: { accept: '*/*' }, timeoutMs: FEED_DOWNLOAD_TIMEOUT_MS })).body
