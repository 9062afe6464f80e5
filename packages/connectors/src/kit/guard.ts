import { lookup as dnsLookup } from 'node:dns'
import { BlockList, isIP } from 'node:net'

/** Address ranges an outbound call to a user-given URL must not reach unless private networks are allowed. */
const blocked = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(net, prefix, 'ipv6')

export const isPrivateAddress = (address: string): boolean => {
  const family = isIP(address)
  if (family === 4) return blocked.check(address, 'ipv4')
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
    if (mapped) return blocked.check(mapped[1]!, 'ipv4')
    return blocked.check(address, 'ipv6')
  }
  return true
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

/**
 * A dns.lookup replacement for the socket layer: resolves, then refuses private addresses. Because it runs when
 * the connection is made, a DNS name that resolves to loopback (or rebinds to it) is caught too.
 */
export const guardedLookup =
  (allowPrivate: boolean) =>
  (hostname: string, options: any, callback: LookupCallback): void => {
    const opts = typeof options === 'function' ? {} : options
    const cb: LookupCallback = typeof options === 'function' ? options : callback
    dnsLookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return cb(err, '')
      const list = addresses as unknown as { address: string; family: number }[]
      if (!allowPrivate) {
        const bad = list.find((a) => isPrivateAddress(a.address))
        if (bad) return cb(Object.assign(new BlockedAddressError(hostname, bad.address), { code: 'EBLOCKED' }), '')
      }
      if (opts.all) return cb(null, list)
      const first = list[0]
      if (!first) return cb(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '')
      cb(null, first.address, first.family)
    })
  }
