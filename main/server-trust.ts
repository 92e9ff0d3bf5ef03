// Which chat servers' TLS certificates the desktop app trusts, for its own
// connection (main's `ws`) and for the page's short-lived sockets (Chromium,
// through the certificate verifier in platform/electron.ts). A certificate an
// authority vouches for is fine; otherwise its fingerprint must be pinned for
// the address: announced on the LAN (the TXT record's `tls`), this app's own
// host-mode certificate for loopback addresses, or remembered from the first
// connection (known_hosts in the app's data folder). A changed one is refused.
import path from 'node:path';
import { isLoopbackHost } from '../server/client';
import { KnownHosts, pinningTrust, type CertificateTrust } from '../server/client/node';

export interface ServerTrustOptions {
  /** The app's data folder; the list lives in `known_hosts` there. */
  dir: string;
  /** This app's own host-mode certificate fingerprint while it runs, else null. */
  hostFingerprint: () => string | null;
  /** A certificate was trusted on first use: log (and show) its fingerprint. */
  onFirstUse?: (address: string, fingerprint: string) => void;
  onWarning?: (message: string, err?: unknown) => void;
}

export class ServerTrust {
  readonly knownHosts: KnownHosts;
  /** Fingerprints announced on the LAN, by `host:port`. */
  private readonly announced = new Map<string, string>();
  readonly trust: CertificateTrust;

  constructor(private readonly options: ServerTrustOptions) {
    this.knownHosts = new KnownHosts(path.join(options.dir, 'known_hosts'));
    this.trust = pinningTrust({
      knownHosts: this.knownHosts,
      pinFor: (address) => this.pinFor(address),
      ...(options.onFirstUse ? { onFirstUse: options.onFirstUse } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
  }

  /** Servers found on the LAN: their announced fingerprints become pins for their addresses. */
  announce(servers: readonly { address: string; tlsFingerprint: string | null }[]): void {
    for (const server of servers) {
      if (server.tlsFingerprint && /^[0-9A-F]{2}(?::[0-9A-F]{2}){31}$/.test(server.tlsFingerprint)) {
        this.announced.set(server.address.toLowerCase(), server.tlsFingerprint);
      }
    }
  }

  /**
   * For Chromium's verifier, which knows the host name but not the port: true when a
   * fingerprint pinned or remembered for any port of `hostname` is `fingerprint`.
   */
  accepts(hostname: string, fingerprint: string): boolean {
    const host = hostname.toLowerCase();
    const own = this.options.hostFingerprint();
    if (own === fingerprint && isLoopbackHost(host)) return true;
    for (const [address, pinned] of this.announced) if (hostOf(address) === host && pinned === fingerprint) return true;
    return this.knownHosts.entriesFor(host).includes(fingerprint);
  }

  private pinFor(address: string): string | null {
    const announced = this.announced.get(address.toLowerCase());
    if (announced) return announced;
    const own = this.options.hostFingerprint();
    return own !== null && isLoopbackHost(hostOf(address)) ? own : null;
  }
}

/** `host` of `host:port` (IPv6 keeps its brackets off). */
function hostOf(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1]!.toLowerCase();
  return address.replace(/:\d+$/, '').toLowerCase();
}
