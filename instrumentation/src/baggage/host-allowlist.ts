import { BlockList, isIP } from 'node:net';

/**
 * Which hosts may receive the chargeback baggage entries. A comma-separated list of:
 * - `loopback`: localhost, *.localhost, 127.0.0.0/8, ::1
 * - `private`: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7, fe80::/10
 * - `cluster`: single-label names (`billing`), *.svc, *.cluster.local, *.internal, *.local
 * - an exact host (`api.corp.example`), a wildcard (`*.corp.example`: subdomains only), an IP or a CIDR (`10.1.0.0/16`)
 * - `none` (or an empty list): no host
 */
export interface HostAllowlist {
  allows(host: string): boolean;
}

export class HostPatternError extends Error {
  override name = 'HostPatternError';
}

const CLUSTER_SUFFIXES = ['.svc', '.cluster.local', '.internal', '.local'];

export function parseHostAllowlist(spec: string): HostAllowlist {
  const blocks = new BlockList();
  const exact = new Set<string>();
  const suffixes: string[] = [];
  let loopbackNames = false;
  let clusterNames = false;

  for (const raw of spec.split(',')) {
    const pattern = raw.trim().toLowerCase();
    if (pattern === '' || pattern === 'none') continue;
    if (pattern === 'loopback') {
      loopbackNames = true;
      blocks.addSubnet('127.0.0.0', 8, 'ipv4');
      blocks.addAddress('::1', 'ipv6');
    } else if (pattern === 'private') {
      blocks.addSubnet('10.0.0.0', 8, 'ipv4');
      blocks.addSubnet('172.16.0.0', 12, 'ipv4');
      blocks.addSubnet('192.168.0.0', 16, 'ipv4');
      blocks.addSubnet('fc00::', 7, 'ipv6');
      blocks.addSubnet('fe80::', 10, 'ipv6');
    } else if (pattern === 'cluster') {
      clusterNames = true;
    } else if (/^[0-9a-f:.]+\/\d*$/.test(pattern)) {
      addCidr(blocks, pattern);
    } else if (isIP(pattern) !== 0) {
      blocks.addAddress(pattern, isIP(pattern) === 4 ? 'ipv4' : 'ipv6');
    } else if (pattern.startsWith('*.') && isHostname(pattern.slice(2))) {
      suffixes.push(pattern.slice(1));
    } else if (isHostname(pattern)) {
      exact.add(pattern);
    } else {
      throw new HostPatternError(
        `baggage host pattern '${raw.trim()}' is not valid; use loopback, private, cluster, none, a host name, *.domain, an IP or a CIDR such as 10.0.0.0/8`,
      );
    }
  }

  const cache = new Map<string, boolean>();
  const decide = (host: string): boolean => {
    const ipVersion = isIP(host);
    if (ipVersion !== 0) return blocks.check(host, ipVersion === 4 ? 'ipv4' : 'ipv6');
    if (exact.has(host)) return true;
    if (loopbackNames && (host === 'localhost' || host.endsWith('.localhost'))) return true;
    if (clusterNames && (!host.includes('.') || CLUSTER_SUFFIXES.some((suffix) => host.endsWith(suffix)))) return true;
    return suffixes.some((suffix) => host.endsWith(suffix));
  };

  return {
    allows(host: string): boolean {
      const normalized = normalizeHost(host);
      let allowed = cache.get(normalized);
      if (allowed === undefined) {
        allowed = normalized !== '' && decide(normalized);
        // Hosts a service talks to are few; the bound only guards against unbounded growth.
        if (cache.size >= 1024) cache.clear();
        cache.set(normalized, allowed);
      }
      return allowed;
    },
  };
}

/** Lower-cased host without brackets, port or trailing dot. */
export function normalizeHost(host: string): string {
  let out = host.trim().toLowerCase();
  if (out.startsWith('[')) {
    const end = out.indexOf(']');
    out = end === -1 ? out.slice(1) : out.slice(1, end);
  } else if (out.indexOf(':') !== -1 && out.indexOf(':') === out.lastIndexOf(':')) {
    out = out.slice(0, out.indexOf(':'));
  }
  return out.endsWith('.') ? out.slice(0, -1) : out;
}

function addCidr(blocks: BlockList, pattern: string): void {
  const [address = '', bitsText = ''] = pattern.split('/');
  const version = isIP(address);
  const bits = Number(bitsText);
  const max = version === 4 ? 32 : 128;
  if (version === 0 || !/^\d+$/.test(bitsText) || bits > max) {
    throw new HostPatternError(`baggage host pattern '${pattern}' is not a valid CIDR; use e.g. 10.0.0.0/8 or fd00::/8`);
  }
  blocks.addSubnet(address, bits, version === 4 ? 'ipv4' : 'ipv6');
}

function isHostname(text: string): boolean {
  return /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(text);
}
