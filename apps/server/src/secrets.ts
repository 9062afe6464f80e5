import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * Credentials at rest: AES-256-GCM with a random 96-bit nonce per value; the key comes from VULNSYNC_SECRET_KEY
 * (32 bytes, base64 or hex) or from a key file generated in the data directory with mode 0600.
 */
export interface SecretBox {
  seal(value: unknown): string
  open<T = unknown>(sealed: string): T
}

const VERSION = 'v1'

export const parseKey = (text: string): Buffer => {
  const t = text.trim()
  const key = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64')
  if (key.length !== 32)
    throw new Error('VULNSYNC_SECRET_KEY must be 32 bytes, as 64 hex characters or base64 (openssl rand -base64 32)')
  return key
}

export const loadOrCreateKey = (o: {
  secretKey?: string | undefined
  dataDir: string
}): { key: Buffer; source: string } => {
  if (o.secretKey) return { key: parseKey(o.secretKey), source: 'VULNSYNC_SECRET_KEY' }
  const file = join(o.dataDir, 'secret.key')
  if (existsSync(file)) return { key: parseKey(readFileSync(file, 'utf8')), source: file }
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
  chmodSync(file, 0o600)
  return { key: parseKey(readFileSync(file, 'utf8')), source: file }
}

export const createSecretBox = (key: Buffer): SecretBox => ({
  seal: (value) => {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', key, iv)
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()])
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join('.')
  },
  open: <T>(sealed: string): T => {
    const [v, iv, tag, data] = sealed.split('.')
    if (v !== VERSION || !iv || !tag || !data)
      throw new Error('stored secret is not in a format this vulnsync can read')
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'))
    decipher.setAuthTag(Buffer.from(tag, 'base64'))
    try {
      const text = Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8')
      return JSON.parse(text) as T
    } catch {
      throw new Error(
        'stored secret could not be decrypted: the secret key changed (VULNSYNC_SECRET_KEY or secret.key); reconnect the integration',
      )
    }
  },
})
