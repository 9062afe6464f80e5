import { pipeline, Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { createGunzip } from 'node:zlib'

/** Why a feed file was refused: its words name what is wrong with the file (the refresh keeps the previous data). */
export class FeedFormatError extends Error {
  readonly code: 'not_gzip' | 'truncated' | 'too_large' | 'not_json' | 'not_kev' | 'not_epss' | 'empty'
  constructor(code: FeedFormatError['code'], message: string) {
    super(message)
    this.code = code
  }
}

const GZIP = [0x1f, 0x8b]

/**
 * A feed's bytes as they arrive, gunzipped as a stream when they are gzip (known by their first two bytes, so a
 * `.csv.gz` and a plain `.csv` both load), and refused past `maxBytes` after decompression. A gzip stream that
 * ends early (a cut download, a truncated file) fails with code `truncated`.
 */
export async function* decodedBytes(input: AsyncIterable<Uint8Array>, maxBytes: number): AsyncIterable<Buffer> {
  const it = input[Symbol.asyncIterator]()
  const first = await it.next()
  if (first.done) return
  const head = Buffer.from(first.value)
  const rest = async function* () {
    yield head
    for (;;) {
      const n = await it.next()
      if (n.done) return
      yield Buffer.from(n.value)
    }
  }
  let total = 0
  const count = (c: Buffer) => {
    total += c.length
    if (total > maxBytes)
      throw new FeedFormatError('too_large', `the file is larger than ${Math.round(maxBytes / 1e6)} MB uncompressed`)
    return c
  }
  if (head[0] !== GZIP[0] || head[1] !== GZIP[1]) {
    for await (const c of rest()) yield count(c)
    return
  }
  const gunzip = pipeline(Readable.from(rest()), createGunzip(), () => {})
  try {
    for await (const c of gunzip) yield count(c as Buffer)
  } catch (err) {
    if (err instanceof FeedFormatError) throw err
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test((err as Error).message))
      throw new FeedFormatError('truncated', 'the gzip file ends early (a cut download or a truncated file)')
    if (code?.startsWith('Z_'))
      throw new FeedFormatError('not_gzip', `the gzip data is corrupt: ${(err as Error).message}`)
    throw err
  } finally {
    gunzip.destroy()
  }
}

/** Lines of UTF-8 text (without their `\n` or `\r\n`), refusing a line longer than `maxLine` characters. */
export async function* textLines(chunks: AsyncIterable<Buffer>, maxLine = 1 << 16): AsyncIterable<string> {
  const decoder = new StringDecoder('utf8')
  let carry = ''
  const cut = (s: string) => (s.endsWith('\r') ? s.slice(0, -1) : s)
  for await (const chunk of chunks) {
    const text = carry + decoder.write(chunk)
    let start = 0
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      yield cut(text.slice(start, nl))
      start = nl + 1
    }
    carry = text.slice(start)
    if (carry.length > maxLine) throw new FeedFormatError('too_large', `a line is longer than ${maxLine} characters`)
  }
  carry += decoder.end()
  if (carry) yield cut(carry)
}

/** The whole (decoded) body as text, for the small KEV catalog. */
export const readAllText = async (chunks: AsyncIterable<Buffer>): Promise<string> => {
  const parts: Buffer[] = []
  for await (const c of chunks) parts.push(c)
  return Buffer.concat(parts).toString('utf8')
}
