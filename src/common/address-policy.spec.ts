import { describe, expect, it } from 'vitest';
import { AddressPolicy, DEVELOPMENT_ALLOWED_ADDRESSES, parseAllowedAddresses, unwrap } from './address-policy.js';

describe('AddressPolicy', () => {
  const strict = new AddressPolicy([]);
  const development = new AddressPolicy(DEVELOPMENT_ALLOWED_ADDRESSES);
  const listed = new AddressPolicy(['10.1.2.0/24', '169.254.169.254', 'fd12::/16']);

  const cases: [string, AddressPolicy, string, string | undefined][] = [
    ['a public IPv4 address', strict, '93.184.215.14', undefined],
    ['a public IPv6 address', strict, '2606:2800:21f:cb07:6820:80da:af6b:8b2c', undefined],
    ['IPv4 loopback', strict, '127.0.0.1', 'a loopback address'],
    ['the rest of 127/8', strict, '127.0.0.2', 'a loopback address'],
    ['IPv6 loopback', strict, '::1', 'a loopback address'],
    ['0.0.0.0', strict, '0.0.0.0', 'an unspecified ("this network") address'],
    ['::', strict, '::', 'an unspecified address'],
    ['10/8', strict, '10.0.0.5', 'a private address'],
    ['172.16/12', strict, '172.31.255.255', 'a private address'],
    ['172.32.0.1 (outside 172.16/12)', strict, '172.32.0.1', undefined],
    ['192.168/16', strict, '192.168.1.1', 'a private address'],
    ['CGNAT 100.64/10', strict, '100.100.100.200', 'a shared (carrier-grade NAT) address'],
    ['the cloud metadata address', strict, '169.254.169.254', 'a link-local address'],
    ['IPv6 link-local', strict, 'fe80::1', 'a link-local address'],
    ['IPv6 unique-local', strict, 'fd00:ec2::254', 'a unique-local (private) address'],
    ['IPv4-mapped loopback, dotted', strict, '::ffff:127.0.0.1', 'a loopback address'],
    ['IPv4-mapped metadata, hex', strict, '::ffff:a9fe:a9fe', 'a link-local address'],
    ['IPv4-mapped, long form', strict, '0:0:0:0:0:ffff:10.0.0.1', 'a private address'],
    ['IPv4-mapped public', strict, '::ffff:93.184.215.14', undefined],
    ['a bracketed literal', strict, '[::1]', 'a loopback address'],
    ['multicast', strict, '224.0.0.251', 'a multicast or reserved address'],
    ['loopback allowed outside production', development, '127.0.0.1', undefined],
    ['IPv6 loopback allowed outside production', development, '::1', undefined],
    ['IPv4-mapped loopback allowed outside production', development, '::ffff:127.0.0.1', undefined],
    ['link-local still refused outside production', development, '169.254.169.254', 'a link-local address'],
    ['a listed range', listed, '10.1.2.3', undefined],
    ['next to a listed range', listed, '10.1.3.3', 'a private address'],
    ['a listed single address', listed, '169.254.169.254', undefined],
    ['a listed single address, mapped', listed, '::ffff:169.254.169.254', undefined],
    ['a listed IPv6 range', listed, 'fd12:1::1', undefined],
    ['loopback when the list replaces the default', listed, '127.0.0.1', 'a loopback address'],
    ['not an address', strict, 'example.com', 'not an IP address'],
  ];

  it.each(cases)('%s', (_name, policy, address, expected) => {
    expect(policy.refusal(address)).toBe(expected);
  });
});

describe('parseAllowedAddresses', () => {
  const parse = (raw: string | undefined, production = false) => {
    const problems: string[] = [];
    return { allowed: parseAllowedAddresses(raw, production, problems), problems };
  };

  it('defaults to loopback outside production and to nothing in production', () => {
    expect(parse(undefined)).toEqual({ allowed: ['127.0.0.0/8', '::1/128'], problems: [] });
    expect(parse('  ')).toEqual({ allowed: ['127.0.0.0/8', '::1/128'], problems: [] });
    expect(parse(undefined, true)).toEqual({ allowed: [], problems: [] });
  });

  it('replaces the default when set', () => {
    expect(parse('10.0.0.0/8, 192.168.1.10 ,fd00::/8', true)).toEqual({ allowed: ['10.0.0.0/8', '192.168.1.10', 'fd00::/8'], problems: [] });
    expect(parse('10.0.0.0/8')).toEqual({ allowed: ['10.0.0.0/8'], problems: [] });
  });

  it.each(['localhost', '10.0.0.0/33', '10.0.0.0/x', '::1/129', '10.0.0.0/8/8', '300.1.1.1'])('refuses %s with a problem naming the variable', (raw) => {
    const { problems } = parse(`127.0.0.1,${raw}`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^ALLOW_PRIVATE_PROVIDER_ADDRESSES must be comma-separated addresses or CIDR ranges/);
    expect(problems[0]).toContain(raw);
  });
});

describe('unwrap', () => {
  it.each([
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::ffff:7f00:1', '127.0.0.1'],
    ['[::ffff:7f00:1]', '127.0.0.1'],
    ['::1', '::1'],
    ['10.0.0.1', '10.0.0.1'],
  ])('%s → %s', (input, output) => {
    expect(unwrap(input)).toBe(output);
  });
});
