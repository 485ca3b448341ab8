/**
 * Which addresses Latch may connect to when it fetches from elsewhere: public unicast only. Private, loopback,
 * link-local, unique-local, CGNAT, multicast, unspecified, reserved and documentation ranges are refused, and so are
 * their IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) IPv6 forms.
 */
import { BlockList, isIP } from 'node:net';

function createNonPublic(): BlockList {
  const list = new BlockList();
  // RFC 6890 (special-purpose address registries), RFC 6598 (CGNAT 100.64/10), RFC 5771 (multicast).
  const v4: Array<[string, number]> = [
    ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
    ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
    ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
  ];
  for (const [net, prefix] of v4) list.addSubnet(net, prefix, 'ipv4');
  // RFC 4291 (::, ::1, fe80::/10, ff00::/8, deprecated fec0::/10), RFC 4193 (fc00::/7), RFC 3849 (2001:db8::/32),
  // RFC 6666 (100::/64), RFC 6052 local-use NAT64 64:ff9b:1::/48.
  const v6: Array<[string, number]> = [
    ['::', 128], ['::1', 128], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['fc00::', 7], ['2001:db8::', 32],
    ['100::', 64], ['64:ff9b:1::', 48],
  ];
  for (const [net, prefix] of v6) list.addSubnet(net, prefix, 'ipv6');
  return list;
}

/** The eight 16-bit groups of an IPv6 address (already validated by isIP). */
function groups(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted[1].split('.').map(Number);
    text = text.slice(0, -dotted[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => parseInt(g, 16));
}

function embeddedV4(g: number[]): string {
  const [hi = 0, lo = 0] = g.slice(6);
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

/** Creates the checker once (a BlockList); call it at start and pass it in, or use it per fetch. */
export function createAddressPolicy(): (address: string) => boolean {
  const nonPublic = createNonPublic();
  const isPublic = (address: string): boolean => {
    const family = isIP(address);
    if (family === 4) return !nonPublic.check(address, 'ipv4');
    if (family !== 6) return false;
    const g = groups(address);
    const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);
    // IPv4-mapped ::ffff:0:0/96 and NAT64 64:ff9b::/96: judged by the IPv4 address inside.
    if (zeroTo(5) && g[5] === 0xffff) return isPublic(embeddedV4(g));
    if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return isPublic(embeddedV4(g));
    // IPv4-compatible ::/96 (deprecated, RFC 4291 §2.5.5.1): never public.
    if (zeroTo(6)) return false;
    return !nonPublic.check(address, 'ipv6');
  };
  return isPublic;
}
