import { describe, expect, it } from 'vitest'
import { embeddedIpv4, ipv6Bytes, isPrivateAddress, refusedHost } from './guard.ts'
import { createHttpClient } from './http.ts'

// Every address form the guard must refuse, with what it really points at.
const REFUSED: [string, string][] = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.0.0.1', 'private'],
  ['172.16.5.4', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'cloud metadata (link-local)'],
  ['100.64.0.1', 'carrier-grade NAT'],
  ['0.0.0.0', 'this network'],
  ['0.1.2.3', 'this network'],
  ['192.0.0.8', 'IETF assignments'],
  ['192.0.2.1', 'documentation'],
  ['198.18.0.1', 'benchmarking'],
  ['198.51.100.7', 'documentation'],
  ['203.0.113.9', 'documentation'],
  ['224.0.0.1', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.255', 'broadcast'],
  ['::1', 'IPv6 loopback'],
  ['::', 'IPv6 unspecified'],
  ['[::1]', 'bracketed IPv6 loopback'],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback, dotted'],
  ['::ffff:7f00:1', 'IPv4-mapped loopback, hex (as the URL parser writes it)'],
  ['::FFFF:7F00:0001', 'IPv4-mapped loopback, upper case'],
  ['0:0:0:0:0:ffff:7f00:1', 'IPv4-mapped loopback, uncompressed'],
  ['::ffff:a00:1', 'IPv4-mapped 10.0.0.1'],
  ['::ffff:a9fe:a9fe', 'IPv4-mapped 169.254.169.254'],
  ['::ffff:0:127.0.0.1', 'SIIT (::ffff:0:0/96) loopback'],
  ['::ffff:0:7f00:1', 'SIIT loopback, hex'],
  ['::127.0.0.1', 'IPv4-compatible loopback'],
  ['::7f00:1', 'IPv4-compatible loopback, hex'],
  ['::a00:1', 'IPv4-compatible 10.0.0.1'],
  ['::c0a8:101', 'IPv4-compatible 192.168.1.1'],
  ['64:ff9b::127.0.0.1', 'NAT64 loopback, dotted'],
  ['64:ff9b::7f00:1', 'NAT64 loopback'],
  ['64:ff9b::a9fe:a9fe', 'NAT64 169.254.169.254'],
  ['64:ff9b::c0a8:1', 'NAT64 192.168.0.1'],
  ['64:ff9b:1::1', 'local-use NAT64 prefix'],
  ['2002:7f00:1::', '6to4 of 127.0.0.1'],
  ['2002:7f00:1::1', '6to4 of 127.0.0.1, host bits'],
  ['2002:a00:1:1::5', '6to4 of 10.0.0.1'],
  ['2002:c0a8:101::1', '6to4 of 192.168.1.1'],
  ['2002:a9fe:a9fe::', '6to4 of 169.254.169.254'],
  ['2001:0:7f00:1::', 'Teredo with a loopback server'],
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'Teredo with a loopback client (stored inverted)'],
  ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'Teredo with public ends (the IETF block is refused whole)'],
  ['2600::5efe:7f00:1', 'ISATAP interface id carrying 127.0.0.1'],
  ['2600::200:5efe:a00:1', 'ISATAP (universal bit) carrying 10.0.0.1'],
  ['fc00::1', 'unique local'],
  ['fd12:3456:789a::1', 'unique local'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local with a zone'],
  ['fec0::1', 'site-local'],
  ['ff02::1', 'multicast'],
  ['100::1', 'discard-only'],
  ['2001:db8::1', 'documentation'],
  ['localhost', 'localhost name'],
  ['localhost.', 'localhost name with the trailing dot'],
  ['LOCALHOST', 'localhost name in upper case'],
  ['api.localhost', 'name under localhost'],
  ['api.localhost.', 'name under localhost, trailing dot'],
  ['not-an-address!', 'not an address at all'],
]

const ALLOWED = [
  '8.8.8.8',
  '1.1.1.1',
  '93.184.216.34',
  '172.32.0.1',
  '100.128.0.1',
  '2606:4700:4700::1111',
  '2001:4860:4860::8888',
  '::ffff:8.8.8.8',
  '::ffff:808:808',
  '64:ff9b::808:808',
  '2002:808:808::1',
]

// URL spellings the WHATWG parser turns into a refused address: the client must refuse the parsed host
const URL_FORMS = [
  'http://2130706433/',
  'http://0x7f.1/',
  'http://0177.0.0.1/',
  'http://127.1/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::127.0.0.1]/',
  'http://[64:ff9b::127.0.0.1]/',
  'http://[2002:7f00:1::]/',
  'http://[::ffff:169.254.169.254]/latest/meta-data',
  'http://localhost./',
  'http://LocalHost:8080/',
  'http://a.b.localhost/',
]

describe('the SSRF guard', () => {
  it.each(REFUSED)('refuses %s (%s)', (address) => {
    const isIpLiteral = !/^[a-z]/i.test(address.replace(/^\[/, '')) || address.includes(':')
    if (isIpLiteral || address === 'not-an-address!') expect(isPrivateAddress(address)).toBe(true)
    if (address !== 'not-an-address!') expect(refusedHost(address)).not.toBeNull()
  })

  it.each(ALLOWED)('allows the public address %s', (address) => {
    expect(isPrivateAddress(address)).toBe(false)
    expect(refusedHost(address)).toBeNull()
  })

  it('leaves ordinary names to the resolved addresses', () => {
    expect(refusedHost('api.endorlabs.com')).toBeNull()
    expect(refusedHost('localhost.example.com')).toBeNull()
  })

  it('reads every IPv4 embedding out of an IPv6 address', () => {
    expect(embeddedIpv4(ipv6Bytes('::ffff:1.2.3.4')!)).toContain('1.2.3.4')
    expect(embeddedIpv4(ipv6Bytes('64:ff9b::102:304')!)).toEqual(['1.2.3.4'])
    expect(embeddedIpv4(ipv6Bytes('2002:102:304::')!)).toEqual(['1.2.3.4'])
    expect(embeddedIpv4(ipv6Bytes('2001:0:102:304:0:0:fefd:fcfb')!)).toEqual(['1.2.3.4', '1.2.3.4'])
    expect(ipv6Bytes('1:2:3:4:5:6:7:8')).toEqual(new Uint8Array([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]))
    expect(ipv6Bytes('not an address')).toBeNull()
  })

  it.each([
    ...REFUSED.filter(([a]) => a !== 'not-an-address!').map(
      ([a]) => `http://${a.includes(':') && !a.startsWith('[') ? `[${a.replace('%', '%25')}]` : a}/x`,
    ),
    ...URL_FORMS,
  ])('the HTTP client refuses %s before connecting', async (url) => {
    const client = createHttpClient({ maxRetries: 0 })
    let parsed = true
    try {
      new URL(url)
    } catch {
      parsed = false
    }
    if (!parsed) return // a URL the parser refuses cannot be requested at all
    const err = await client.request({ url }).catch((e) => e)
    expect(err.kind).toBe('blocked')
    expect(err.message).toMatch(/private, loopback or link-local/)
  })

  it('refuses localhost names without asking DNS', async () => {
    const client = createHttpClient({ maxRetries: 0 })
    const err = await client.request({ url: 'http://localhost./x' }).catch((e) => e)
    expect(err.kind).toBe('blocked')
    // the message names no resolved address: the name was judged before any lookup
    expect(err.message).toContain('(loopback)')
  })
})
