// LAN discovery with mDNS/DNS-SD (bonjour-service): host mode advertises the bundled server
// as `_chat._tcp` on its HTTP/WebSocket port, and the sign-in screen browses for such servers
// while it is open. Multicast stays on the local link (224.0.0.251 / ff02::fb, port 5353).
import os from 'node:os';
import { Bonjour, type Browser, type Service } from 'bonjour-service';
import type { DiscoveredServer } from './ipc/contract';

/** DNS-SD service type: `_chat._tcp.local`. */
export const SERVICE_TYPE = 'chat';
/** Version of the TXT record layout below. */
export const TXT_VERSION = '1';
/** How often an open browser asks again (catches servers whose announcement was missed), in ms. */
export const REQUERY_INTERVAL_MS = 15_000;

export interface Advertisement {
  /** DNS-SD instance name, e.g. "Chat on alice-laptop". */
  name: string;
  /** HTTP/WebSocket port: the SRV record's port, what the app and browsers connect to. */
  wsPort: number;
  /** TCP line-protocol port, or null when the server has none. */
  tcpPort: number | null;
  /** SHA-256 fingerprint of the server's TLS certificate (TXT `tls`); null for a server without TLS. */
  tlsFingerprint: string | null;
}

/** The default instance name: "Chat on <hostname without domain>". */
export function defaultInstanceName(hostname = os.hostname()): string {
  return `Chat on ${hostname.split('.')[0] || 'this computer'}`;
}

/**
 * The TXT record: `v` (layout version), `path` (WebSocket path), `tcp` (line-protocol port,
 * when there is one) and `tls` (certificate fingerprint, when TLS is on). Everything is public:
 * anyone on the LAN can read it.
 */
export function txtRecord(ad: Advertisement): Record<string, string> {
  return {
    v: TXT_VERSION,
    path: '/ws',
    ...(ad.tcpPort !== null ? { tcp: String(ad.tcpPort) } : {}),
    ...(ad.tlsFingerprint ? { tls: ad.tlsFingerprint } : {}),
  };
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

function txtValue(txt: unknown, key: string): string | null {
  if (typeof txt !== 'object' || txt === null) return null;
  const value = (txt as Record<string, unknown>)[key];
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return null;
}

/**
 * What the sign-in screen shows for a resolved service, or null when it cannot be used (no
 * port, another TXT version). The address prefers the IPv4 the answer came from (reachable
 * from here by construction), then any advertised IPv4, then the `.local` host name.
 */
export function toDiscoveredServer(service: Pick<Service, 'name' | 'fqdn' | 'port' | 'host' | 'addresses' | 'referer' | 'txt'>): DiscoveredServer | null {
  if (!Number.isInteger(service.port) || service.port < 1 || service.port > 65_535) return null;
  const version = txtValue(service.txt, 'v');
  if (version !== null && version !== TXT_VERSION) return null;
  const referer = service.referer?.family === 'IPv4' ? service.referer.address : null;
  const advertised = (service.addresses ?? []).find((a) => IPV4.test(a)) ?? null;
  const host = referer ?? advertised ?? service.host;
  if (!host) return null;
  const tcp = Number(txtValue(service.txt, 'tcp'));
  return {
    id: service.fqdn || service.name,
    name: service.name.slice(0, 100),
    address: `${host}:${service.port}`,
    tcpPort: Number.isInteger(tcp) && tcp >= 1 && tcp <= 65_535 ? tcp : null,
    tlsFingerprint: txtValue(service.txt, 'tls'),
  };
}

export interface DiscoveryOptions {
  /** Socket errors (e.g. no multicast route); discovery stops working but never throws. */
  onError?: (err: unknown) => void;
}

/** Publishes one advertisement at a time; stop() sends the goodbye (TTL 0) packets. */
export class LanAdvertiser {
  private bonjour: Bonjour | null = null;
  private service: Service | null = null;

  constructor(private readonly options: DiscoveryOptions = {}) {}

  get advertising(): boolean {
    return this.service !== null;
  }

  /** Replaces any current advertisement with `ad`. */
  async start(ad: Advertisement): Promise<void> {
    await this.stop();
    this.bonjour = new Bonjour({}, (err: unknown) => this.options.onError?.(err));
    this.service = this.bonjour.publish({ name: ad.name, type: SERVICE_TYPE, protocol: 'tcp', port: ad.wsPort, txt: txtRecord(ad) });
    this.service.on('error', (err: unknown) => this.options.onError?.(err));
  }

  /** Withdraws the advertisement (goodbye packets) and closes the socket. Idempotent. */
  async stop(): Promise<void> {
    const bonjour = this.bonjour;
    const service = this.service;
    this.bonjour = null;
    this.service = null;
    if (!bonjour) return;
    if (service) await new Promise<void>((resolve) => bonjour.unpublishAll(() => resolve()));
    await new Promise<void>((resolve) => bonjour.destroy(() => resolve()));
  }
}

/** Browses for `_chat._tcp` servers while started; reports the whole list on every change. */
export class LanBrowser {
  private bonjour: Bonjour | null = null;
  private browser: Browser | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly found = new Map<string, DiscoveredServer>();

  constructor(
    private readonly onChange: (servers: DiscoveredServer[]) => void,
    private readonly options: DiscoveryOptions & { requeryMs?: number } = {},
  ) {}

  get browsing(): boolean {
    return this.browser !== null;
  }

  /** The servers known now, by name. */
  list(): DiscoveredServer[] {
    return [...this.found.values()].sort((a, b) => a.name.localeCompare(b.name) || a.address.localeCompare(b.address));
  }

  /** Starts browsing (idempotent) and returns the servers known now. */
  start(): DiscoveredServer[] {
    if (this.browser) return this.list();
    this.bonjour = new Bonjour({}, (err: unknown) => this.options.onError?.(err));
    const browser = this.bonjour.find({ type: SERVICE_TYPE, protocol: 'tcp' });
    const upsert = (service: Service) => {
      const server = toDiscoveredServer(service);
      if (server) this.found.set(server.id, server);
      else this.found.delete(service.fqdn || service.name);
      this.onChange(this.list());
    };
    browser.on('up', upsert);
    browser.on('srv-update', upsert);
    browser.on('txt-update', upsert);
    browser.on('down', (service) => {
      if (this.found.delete(service.fqdn || service.name)) this.onChange(this.list());
    });
    this.browser = browser;
    this.timer = setInterval(() => browser.update(), this.options.requeryMs ?? REQUERY_INTERVAL_MS);
    this.timer.unref();
    return this.list();
  }

  /** Stops browsing and forgets what was found (a later start asks afresh). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.browser?.stop();
    this.browser = null;
    this.found.clear();
    const bonjour = this.bonjour;
    this.bonjour = null;
    if (bonjour) await new Promise<void>((resolve) => bonjour.destroy(() => resolve()));
  }
}
