// Trust on first use for servers with certificates no authority vouches for
// (self-signed: the desktop app's host mode, a LAN server), as SSH does with
// ~/.ssh/known_hosts: the first certificate seen at an address is remembered
// by its SHA-256 fingerprint, and a different one later is refused.
//
// File format, one entry per line: `<host[:port]> <fingerprint>`, `#` comments;
// a fingerprint written by hand may leave out the colons or use lower case.
// Written 0600 through a temporary file and a rename, like the credentials.
import { readFileSync } from 'node:fs';
import { normalizeFingerprint } from '../address';
import { writePrivate } from './credentials';

/** The fingerprints this client trusts, per server address (`host:port` as in the URL). */
export class KnownHosts {
  private entries = new Map<string, string>();
  private loaded = false;

  /** @param file where the entries live (created on the first write). */
  constructor(readonly file: string) {}

  /** The fingerprint remembered for `address`, or null. Reads the file on first use (a missing or garbled file counts as empty). */
  lookup(address: string): string | null {
    this.load();
    return this.entries.get(address.toLowerCase()) ?? null;
  }

  /** Fingerprints remembered for any port of `host` (a verifier that doesn't know the port asks this). */
  entriesFor(host: string): string[] {
    this.load();
    const h = host.toLowerCase();
    const out: string[] = [];
    for (const [address, fingerprint] of this.entries) {
      const bare = address.startsWith('[') ? address.slice(1, address.indexOf(']')) : address.replace(/:\d+$/, '');
      if (bare === h) out.push(fingerprint);
    }
    return out;
  }

  /** Remembers `fingerprint` for `address`, replacing any earlier one. */
  async remember(address: string, fingerprint: string): Promise<void> {
    this.load();
    this.entries.set(address.toLowerCase(), fingerprint);
    await this.save();
  }

  /** Forgets `address` (to accept a new certificate after checking it). No-op when unknown. */
  async forget(address: string): Promise<void> {
    this.load();
    if (this.entries.delete(address.toLowerCase())) await this.save();
  }

  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return;
    }
    for (const line of text.split('\n')) {
      const [address, fingerprint] = line.trim().split(/\s+/);
      if (!address || address.startsWith('#') || !fingerprint) continue;
      try {
        // As --fingerprint takes it: a pin typed by hand must not be skipped (and a first use trusted in its place).
        this.entries.set(address.toLowerCase(), normalizeFingerprint(fingerprint));
      } catch {
        // Not a fingerprint: the line is ignored.
      }
    }
  }

  private async save(): Promise<void> {
    const lines = ['# Chat servers whose TLS certificate this client trusts: <host:port> <SHA-256 fingerprint>.'];
    for (const [address, fingerprint] of this.entries) lines.push(`${address} ${fingerprint}`);
    await writePrivate(this.file, `${lines.join('\n')}\n`);
  }
}
