import { lookup as dnsLookup } from 'node:dns'
import { BlockList, isIP } from 'node:net'

/**
 * The SSRF guard of outbound calls to user-given URLs: which addresses and names a connector may not reach unless
 * private networks are allowed (VULNSYNC_ALLOW_PRIVATE_NETWORKS=true, for on-premises hosts).
 *
 * IPv4 ranges: RFC 6890 special-purpose blocks that are not globally reachable. IPv6: the same, plus every form
 * that carries an IPv4 address inside it (mapped, compatible, SIIT, NAT64, 6to4, Teredo, ISATAP), which is judged
 * by the IPv4 address it carries, so `::ffff:7f00:1` or `2002:7f00:1::` is refused like 127.0.0.1.
 */
const v4 = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata services)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  v4.addSubnet(net, prefix, 'ipv4')

const v6 = new BlockList()
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215)
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments (Teredo's embedded addresses are judged below)
  ['2001:db8::', 32], // documentation
  ['3fff::', 20], // documentation
  ['5f00::', 16], // segment routing SIDs
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  v6.addSubnet(net, prefix, 'ipv6')

/** The 16 bytes of a valid IPv6 literal (zone id dropped), or null. */
export const ipv6Bytes = (address: string): Uint8Array | null => {
  const a = address.replace(/%.*$/, '')
  if (isIP(a) !== 6) return null
  let head = a
  const tail: number[] = []
  const dotted = /:(\d+\.\d+\.\d+\.\d+)$/.exec(a)
  if (dotted) {
    // keep a `::` right before the IPv4 part, drop a single separating colon
    head = a.slice(0, dotted.index + 1)
    if (!head.endsWith('::')) head = head.slice(0, -1)
    const parts = dotted[1]!.split('.').map(Number)
    tail.push((parts[0]! << 8) | parts[1]!, (parts[2]! << 8) | parts[3]!)
  }
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)))
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined]
  const l = groups(left!)
  const r = right === undefined ? [] : groups(right)
  const fill = 8 - l.length - r.length - tail.length
  const words = right === undefined && fill === 0 ? [...l, ...tail] : [...l, ...Array(fill).fill(0), ...r, ...tail]
  if (words.length !== 8) return null
  const out = new Uint8Array(16)
  words.forEach((w, i) => {
    out[2 * i] = (w >> 8) & 0xff
    out[2 * i + 1] = w & 0xff
  })
  return out
}

const v4At = (b: Uint8Array, i: number, xor = 0) =>
  [b[i]! ^ xor, b[i + 1]! ^ xor, b[i + 2]! ^ xor, b[i + 3]! ^ xor].join('.')
const zero = (b: Uint8Array, from: number, to: number) => b.slice(from, to).every((x) => x === 0)

/** The IPv4 addresses an IPv6 address carries inside it, by every standard embedding. */
export const embeddedIpv4 = (b: Uint8Array): string[] => {
  const out: string[] = []
  // ::a.b.c.d (compatible), ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (SIIT)
  if (zero(b, 0, 10) && ((b[10] === 0 && b[11] === 0) || (b[10] === 0xff && b[11] === 0xff))) out.push(v4At(b, 12))
  if (zero(b, 0, 8) && b[8] === 0xff && b[9] === 0xff && b[10] === 0 && b[11] === 0) out.push(v4At(b, 12))
  // 64:ff9b::/96, well-known NAT64 prefix
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(b, 4, 12)) out.push(v4At(b, 12))
  // 2002::/16, 6to4: the IPv4 address follows the prefix
  if (b[0] === 0x20 && b[1] === 0x02) out.push(v4At(b, 2))
  // 2001:0::/32, Teredo: the server's address, and the client's, stored inverted
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0 && b[3] === 0) out.push(v4At(b, 4), v4At(b, 12, 0xff))
  // ISATAP interface identifier ::0:5efe:a.b.c.d (or ::200:5efe:…)
  if ((b[8] === 0 || b[8] === 0x02) && b[9] === 0 && b[10] === 0x5e && b[11] === 0xfe) out.push(v4At(b, 12))
  return out
}

/** Whether an IP literal must not be reached. Anything that is not an IP address counts as private (refused). */
export const isPrivateAddress = (address: string): boolean => {
  const a = address.replace(/^\[|\]$/g, '')
  const family = isIP(a.replace(/%.*$/, ''))
  if (family === 4) return v4.check(a, 'ipv4')
  if (family === 6) {
    const bytes = ipv6Bytes(a)
    if (!bytes) return true
    if (v6.check(a.replace(/%.*$/, ''), 'ipv6')) return true
    return embeddedIpv4(bytes).some((x) => v4.check(x, 'ipv4'))
  }
  return true
}

/** `localhost` and every name under it (RFC 6761), with or without the trailing dot: loopback without asking DNS. */
export const isLocalhostName = (hostname: string): boolean => {
  const h = hostname.toLowerCase().replace(/\.+$/, '')
  return h === 'localhost' || h.endsWith('.localhost')
}

/**
 * Why a URL's host must not be reached before any DNS query (an IP literal in a refused range, or a localhost
 * name), or null when only the resolved addresses can tell.
 */
export const refusedHost = (hostname: string): string | null => {
  const h = hostname.replace(/^\[|\]$/g, '')
  if (isIP(h.replace(/%.*$/, ''))) return isPrivateAddress(h) ? h : null
  return isLocalhostName(h) ? 'loopback' : null
}

export class BlockedAddressError extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(
      `refused to connect to ${host} (${address}): it is a private, loopback or link-local address; set VULNSYNC_ALLOW_PRIVATE_NETWORKS=true to allow on-premises hosts`,
    )
    this.name = 'BlockedAddressError'
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | any[], family?: number) => void

const blockedError = (hostname: string, address: string) =>
  Object.assign(new BlockedAddressError(hostname, address), { code: 'EBLOCKED' })

/**
 * A dns.lookup replacement for the socket layer: resolves, then refuses private addresses. Because it runs when
 * the connection is made, a DNS name that resolves to loopback (or rebinds to it) is caught too.
 */
export const guardedLookup =
  (allowPrivate: boolean) =>
  (hostname: string, options: any, callback: LookupCallback): void => {
    const opts = typeof options === 'function' ? {} : options
    const cb: LookupCallback = typeof options === 'function' ? options : callback
    if (!allowPrivate && isLocalhostName(hostname)) {
      cb(blockedError(hostname, 'loopback'), '')
      return
    }
    dnsLookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return cb(err, '')
      const list = addresses as unknown as { address: string; family: number }[]
      if (!allowPrivate) {
        const bad = list.find((a) => isPrivateAddress(a.address))
        if (bad) return cb(blockedError(hostname, bad.address), '')
      }
      if (opts.all) return cb(null, list)
      const first = list[0]
      if (!first) return cb(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '')
      cb(null, first.address, first.family)
    })
  }
