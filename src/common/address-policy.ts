import { BlockList, isIP } from 'node:net';

/**
 * Which network addresses the service may connect to on an identity provider's behalf. A URL a
 * provider document names (or an admin types) could otherwise point this service at its own
 * network: a cloud metadata endpoint, a database, an admin port on loopback. Addresses that are not
 * public are refused unless the allow list (ALLOW_PRIVATE_PROVIDER_ADDRESSES) names them.
 */

/** Ranges that are not public, with the word a message uses for each. */
const NOT_PUBLIC: [kind: string, family: 'ipv4' | 'ipv6', network: string, prefix: number][] = [
  ['an unspecified ("this network") address', 'ipv4', '0.0.0.0', 8],
  ['a loopback address', 'ipv4', '127.0.0.0', 8],
  ['a private address', 'ipv4', '10.0.0.0', 8],
  ['a private address', 'ipv4', '172.16.0.0', 12],
  ['a private address', 'ipv4', '192.168.0.0', 16],
  ['a shared (carrier-grade NAT) address', 'ipv4', '100.64.0.0', 10],
  ['a link-local address', 'ipv4', '169.254.0.0', 16],
  ['a multicast or reserved address', 'ipv4', '224.0.0.0', 3],
  ['an unspecified address', 'ipv6', '::', 128],
  ['a loopback address', 'ipv6', '::1', 128],
  ['a link-local address', 'ipv6', 'fe80::', 10],
  ['a unique-local (private) address', 'ipv6', 'fc00::', 7],
  ['a multicast address', 'ipv6', 'ff00::', 8],
];

/** Outside production the development provider runs on loopback, so loopback is allowed there by default. */
export const DEVELOPMENT_ALLOWED_ADDRESSES = ['127.0.0.0/8', '::1/128'];

export class AddressPolicy {
  private readonly allowed = new BlockList();
  private readonly ranges = NOT_PUBLIC.map(([kind, family, network, prefix]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, family);
    return { kind, list };
  });

  /** `allowed`: addresses or CIDR ranges, as `parseAllowedAddresses` returns them. */
  constructor(readonly allowedRanges: readonly string[]) {
    for (const entry of allowedRanges) {
      const range = parseRange(entry);
      if (!range) throw new Error(`not an address or CIDR range: ${entry}`);
      this.allowed.addSubnet(range.network, range.prefix, range.family);
    }
  }

  /**
   * Why `address` must not be connected to (`a link-local address`, …), or undefined when it may.
   * An IPv4 address written as IPv6 (`::ffff:169.254.169.254`) is judged as the IPv4 address it is.
   */
  refusal(address: string): string | undefined {
    const plain = unwrap(address);
    const family = isIP(plain) === 4 ? 'ipv4' : isIP(plain) === 6 ? 'ipv6' : undefined;
    if (!family) return 'not an IP address';
    if (this.allowed.check(plain, family)) return undefined;
    return this.ranges.find(({ list }) => list.check(plain, family))?.kind;
  }
}

/**
 * ALLOW_PRIVATE_PROVIDER_ADDRESSES: comma-separated addresses or CIDR ranges; when set it replaces
 * the default (loopback outside production, nothing in production). A bad entry is a problem
 * naming the variable, for the start-up's one line.
 */
export function parseAllowedAddresses(raw: string | undefined, production: boolean, problems: string[]): string[] {
  if (!raw?.trim()) return production ? [] : [...DEVELOPMENT_ALLOWED_ADDRESSES];
  const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  const bad = entries.filter((entry) => !parseRange(entry));
  if (bad.length > 0) {
    problems.push(`ALLOW_PRIVATE_PROVIDER_ADDRESSES must be comma-separated addresses or CIDR ranges (such as 127.0.0.1,10.0.0.0/8,fd00::/8), not "${bad.join('", "')}"`);
    return [];
  }
  return entries;
}

function parseRange(entry: string): { network: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address, prefixText, ...rest] = entry.split('/');
  if (rest.length > 0) return undefined;
  const plain = unwrap(address);
  const version = isIP(plain);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  return { network: plain, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** `[::1]` → `::1`; an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, `::ffff:7f00:1`, …) → the IPv4 address it carries. */
export function unwrap(address: string): string {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (isIP(bare) !== 6) return bare;
  // The URL parser writes every IPv6 address in one canonical form, so the mapped ones look alike.
  const canonical = new URL(`http://[${bare}]/`).hostname;
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(canonical);
  if (!mapped) return bare;
  const high = parseInt(mapped[1], 16);
  const low = parseInt(mapped[2], 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}
