import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'

/** API tokens and session ids: random, shown once, stored as SHA-256. */
export const generateToken = (prefix = 'vs'): string => `${prefix}_${randomBytes(24).toString('base64url')}`
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')
export const tokenPrefix = (token: string): string => token.slice(0, 7)

const scryptAsync = (password: string, salt: Buffer, len: number) =>
  new Promise<Buffer>((resolve, reject) =>
    scrypt(password, salt, len, { N: 16384, r: 8, p: 1 }, (err, key) => (err ? reject(err) : resolve(key))),
  )

export const hashPassword = async (password: string): Promise<string> => {
  const salt = randomBytes(16)
  const key = await scryptAsync(password, salt, 32)
  return `scrypt$${salt.toString('base64')}$${key.toString('base64')}`
}

export const verifyPassword = async (password: string, stored: string | null): Promise<boolean> => {
  if (!stored) return false
  const [alg, salt, key] = stored.split('$')
  if (alg !== 'scrypt' || !salt || !key) return false
  const expected = Buffer.from(key, 'base64')
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length)
  return timingSafeEqual(expected, actual)
}
