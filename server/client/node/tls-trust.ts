// Which TLS servers a Node client talks to. A certificate a system authority
// vouches for (and that names the host) is accepted, as browsers do. One no
// authority vouches for (self-signed: host mode, a LAN server) is accepted when
// its SHA-256 fingerprint is the one pinned for the address: given by the
// person (--fingerprint), announced on the LAN, or remembered on first use
// (known-hosts.ts). A different certificate at a known address is refused with
// CERTIFICATE_CHANGED before anything is sent.
import { ErrorCode, type WireError } from '../../protocol';
import type { KnownHosts } from './known-hosts';

/** What a handshake showed about the server's certificate. */
export interface PeerCertificateInfo {
  /** The address as in the URL: `host:port` (IPv6 in brackets, default port 443 left out). */
  address: string;
  /** SHA-256 fingerprint of the leaf certificate, `AB:CD:...`. */
  fingerprint: string;
  /** The chain verifies against the system's authorities and names the host. */
  authorized: boolean;
  /** Why it does not (OpenSSL's code, e.g. DEPTH_ZERO_SELF_SIGNED_CERT), or null. */
  authorizationError: string | null;
}

/** Decides, once per TLS handshake, whether the client goes on. */
export interface CertificateTrust {
  /** null: go on. Otherwise the refusal the client reports (the socket is closed at once). */
  check(peer: PeerCertificateInfo): WireError | null;
}

export interface PinningTrustOptions {
  /** A fingerprint that must match for this address (a flag, a LAN announcement), or null. */
  pinFor?: (address: string) => string | null;
  /** Remembered fingerprints; unknown self-signed certificates are added on first use. Null: no TOFU. */
  knownHosts?: KnownHosts | null;
  /** A certificate was trusted on first use (and remembered): tell the person its fingerprint. */
  onFirstUse?: (address: string, fingerprint: string) => void;
  /** Remembering failed (the file could not be written); the connection goes on. */
  onWarning?: (message: string, err?: unknown) => void;
}

function changed(peer: PeerCertificateInfo, trusted: string, where: string): WireError {
  return {
    code: ErrorCode.CERTIFICATE_CHANGED,
    message:
      `The TLS certificate of ${peer.address} has changed: it is now SHA-256 ${peer.fingerprint}, but this client trusts ${trusted} ` +
      `(${where}). Someone may be intercepting the connection, so nothing was sent. If the server really has a new certificate ` +
      `(ask its operator for the fingerprint), forget the old one and connect again.`,
  };
}

/** The trust policy described at the top of this file. */
export function pinningTrust(options: PinningTrustOptions = {}): CertificateTrust {
  const known = options.knownHosts ?? null;
  const remember = (address: string, fingerprint: string) => {
    if (!known || known.lookup(address) === fingerprint) return;
    known.remember(address, fingerprint).catch((err: unknown) => options.onWarning?.(`Could not remember the certificate of ${address}`, err));
  };
  return {
    check(peer) {
      const pinned = options.pinFor?.(peer.address) ?? null;
      if (pinned !== null) {
        if (pinned !== peer.fingerprint) return changed(peer, pinned, 'the fingerprint given for it');
        remember(peer.address, peer.fingerprint);
        return null;
      }
      if (peer.authorized) return null;
      const trusted = known?.lookup(peer.address) ?? null;
      if (trusted !== null) return trusted === peer.fingerprint ? null : changed(peer, trusted, `remembered in ${known!.file}`);
      if (!known) {
        return {
          code: ErrorCode.UNREACHABLE,
          message: `The TLS certificate of ${peer.address} is not trusted (${peer.authorizationError ?? 'unknown issuer'}); its SHA-256 fingerprint is ${peer.fingerprint}`,
        };
      }
      remember(peer.address, peer.fingerprint);
      options.onFirstUse?.(peer.address, peer.fingerprint);
      return null;
    },
  };
}
