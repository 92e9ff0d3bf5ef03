// TLS for both listeners (the TCP line protocol and HTTPS/WSS): reads the
// certificate and key files, checks that they belong together, and gives the
// SHA-256 fingerprint clients pin. Reloading (SIGHUP) builds a new secure
// context from the files; connections already open keep the one they
// handshook with, new handshakes get the new one.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

/** Oldest protocol version either listener accepts. */
export const TLS_MIN_VERSION = 'TLSv1.2';

/** A connection whose TLS handshake hasn't completed after this long (ms) is dropped. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 15_000;

/** What a listener needs to serve TLS. */
export interface TlsMaterial {
  /** PEM certificate (chain) and private key, as read from the files. */
  readonly cert: Buffer;
  readonly key: Buffer;
  /** SHA-256 fingerprint of the leaf certificate, `AB:CD:...` (as `openssl x509 -fingerprint -sha256` prints it). */
  readonly fingerprint: string;
}

/** A certificate or key that cannot be used; the message names the file and the cause. */
export class TlsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsConfigError';
  }
}

function readPem(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new TlsConfigError(`${flag} ${file}: ${(err as Error).message}`);
  }
}

/**
 * Reads and checks `certFile` and `keyFile` (PEM). Throws TlsConfigError when a file
 * can't be read, isn't a certificate / key, or the key doesn't match the certificate.
 */
export function loadTlsMaterial(certFile: string, keyFile: string): TlsMaterial {
  const cert = readPem(certFile, '--tls-cert');
  const key = readPem(keyFile, '--tls-key');
  let fingerprint: string;
  try {
    fingerprint = new X509Certificate(cert).fingerprint256;
  } catch (err) {
    throw new TlsConfigError(`--tls-cert ${certFile}: not a PEM certificate (${(err as Error).message})`);
  }
  try {
    // Builds the context OpenSSL will use: fails on an unreadable key or one that doesn't match.
    tls.createSecureContext({ cert, key, minVersion: TLS_MIN_VERSION });
  } catch (err) {
    throw new TlsConfigError(`--tls-key ${keyFile}: cannot be used with --tls-cert ${certFile} (${(err as Error).message})`);
  }
  return { cert, key, fingerprint };
}

/** Options for tls.createServer / https.createServer / setSecureContext from the material. */
export function secureContextOptions(material: TlsMaterial): tls.SecureContextOptions {
  return { cert: material.cert, key: material.key, minVersion: TLS_MIN_VERSION };
}
