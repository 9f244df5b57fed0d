import { describe, expect, it } from 'vitest';
import { HostPatternError, normalizeHost, parseHostAllowlist } from '../../instrumentation/src/baggage/host-allowlist.js';

describe('baggage host allowlist', () => {
  const defaults = parseHostAllowlist('loopback,private,cluster');

  it('allows loopback, private addresses and cluster-internal names by default', () => {
    for (const host of ['localhost', 'api.localhost', '127.0.0.1', '127.9.9.9', '::1', '[::1]:8080', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.10', 'fd12::1', 'billing', 'billing.team-a.svc', 'billing.team-a.svc.cluster.local', 'db.internal', 'printer.local', 'billing:8080']) {
      expect(defaults.allows(host), host).toBe(true);
    }
  });

  it('refuses model providers and any other outside host', () => {
    for (const host of ['api.openai.com', 'api.anthropic.com', 'example.com', '8.8.8.8', '172.32.0.1', '11.0.0.1', '2001:db8::1', 'internal.example.com', '']) {
      expect(defaults.allows(host), host).toBe(false);
    }
  });

  it('takes exact hosts, wildcards (subdomains only), IPs and CIDRs', () => {
    const list = parseHostAllowlist(' api.corp.example , *.svc.corp.example, 203.0.113.7, 198.51.100.0/24, 2001:db8::/32 ');
    expect(list.allows('API.corp.example.')).toBe(true);
    expect(list.allows('billing.svc.corp.example')).toBe(true);
    expect(list.allows('svc.corp.example')).toBe(false);
    expect(list.allows('203.0.113.7')).toBe(true);
    expect(list.allows('198.51.100.200')).toBe(true);
    expect(list.allows('198.51.101.1')).toBe(false);
    expect(list.allows('2001:db8:1::5')).toBe(true);
    expect(list.allows('localhost')).toBe(false);
  });

  it('allows nothing for none or an empty list', () => {
    expect(parseHostAllowlist('none').allows('127.0.0.1')).toBe(false);
    expect(parseHostAllowlist('').allows('localhost')).toBe(false);
  });

  it('names a bad pattern and the accepted forms', () => {
    expect(() => parseHostAllowlist('loopback, http://x')).toThrow(HostPatternError);
    expect(() => parseHostAllowlist('10.0.0.0/33')).toThrow(/not a valid CIDR/);
    expect(() => parseHostAllowlist('*.*.example')).toThrow(/'\*\.\*\.example' is not valid; use loopback, private, cluster, none/);
  });

  it('normalizes hosts with ports, brackets and trailing dots', () => {
    expect(normalizeHost('Example.COM.')).toBe('example.com');
    expect(normalizeHost('[fe80::1]:443')).toBe('fe80::1');
    expect(normalizeHost('svc:8080')).toBe('svc');
    expect(normalizeHost('fe80::1')).toBe('fe80::1');
  });
});
