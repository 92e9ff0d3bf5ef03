// The DNS-SD records: what host mode puts in TXT (with the empty TLS slot) and how a resolved
// service becomes a sign-in screen entry (a reachable IPv4 first, bad records dropped).
// The multicast itself is tested across network namespaces in tests/integration/main/lan-discovery.
import { describe, expect, it } from 'vitest';
import { defaultInstanceName, toDiscoveredServer, txtRecord } from '../../../main/discovery';

const service = {
  name: 'Chat on alice-laptop',
  fqdn: 'Chat on alice-laptop._chat._tcp.local',
  port: 4001,
  host: 'alice-laptop.local',
  addresses: ['fe80::1', '192.168.1.20'],
  referer: { address: '192.168.1.20', family: 'IPv4' as const, port: 5353, size: 200 },
  txt: { v: '1', path: '/ws', tcp: '4000' },
};

describe('DNS-SD records', () => {
  it('TXT: version, WebSocket path, TCP port when there is one, the TLS fingerprint once TLS exists', () => {
    expect(txtRecord({ name: 'x', wsPort: 4001, tcpPort: 4000, tlsFingerprint: null })).toEqual({ v: '1', path: '/ws', tcp: '4000' });
    expect(txtRecord({ name: 'x', wsPort: 4001, tcpPort: null, tlsFingerprint: 'sha256:AB:CD' })).toEqual({ v: '1', path: '/ws', tls: 'sha256:AB:CD' });
  });

  it('instance name from the host name without its domain', () => {
    expect(defaultInstanceName('alice-laptop.example.lan')).toBe('Chat on alice-laptop');
    expect(defaultInstanceName('')).toBe('Chat on this computer');
  });

  it('a resolved service becomes an entry with the address the answer came from', () => {
    expect(toDiscoveredServer(service)).toEqual({
      id: 'Chat on alice-laptop._chat._tcp.local',
      name: 'Chat on alice-laptop',
      address: '192.168.1.20:4001',
      tcpPort: 4000,
      tlsFingerprint: null,
    });
  });

  it('falls back to an advertised IPv4, then to the .local name; reads Buffer TXT values', () => {
    expect(toDiscoveredServer({ ...service, referer: undefined, addresses: ['10.0.0.7'] })?.address).toBe('10.0.0.7:4001');
    expect(toDiscoveredServer({ ...service, referer: undefined, addresses: [] })?.address).toBe('alice-laptop.local:4001');
    expect(toDiscoveredServer({ ...service, txt: { v: Buffer.from('1'), tls: Buffer.from('sha256:AA') } })).toMatchObject({
      tcpPort: null,
      tlsFingerprint: 'sha256:AA',
    });
  });

  it('drops records it cannot use: another TXT version, no port, a bogus TCP port', () => {
    expect(toDiscoveredServer({ ...service, txt: { v: '2' } })).toBeNull();
    expect(toDiscoveredServer({ ...service, port: 0 })).toBeNull();
    expect(toDiscoveredServer({ ...service, txt: { v: '1', tcp: '99999' } })?.tcpPort).toBeNull();
  });
});
