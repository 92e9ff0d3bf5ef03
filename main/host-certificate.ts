// Host mode's TLS certificate: made once, on the first start of host mode, and
// kept in the app's data folder (userData/server/tls), so its fingerprint, which
// people compare and clients pin, stays the same across restarts. Self-signed:
// no authority can vouch for a laptop on a LAN, so clients trust it by its
// SHA-256 fingerprint (shown in the host panel, announced on the LAN) instead.
import { X509Certificate, webcrypto } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as x509 from '@peculiar/x509';

/** Where the certificate and key live, and the certificate's fingerprint. */
export interface HostCertificate {
  certFile: string;
  keyFile: string;
  /** SHA-256 fingerprint, `AB:CD:...` (as Node and `openssl x509 -fingerprint -sha256` print it). */
  fingerprint: string;
}

/** Validity of a new certificate: long, because renewing would change the pinned fingerprint. */
const VALID_YEARS = 10;
const ECDSA = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/**
 * The certificate in `dir` (cert.pem, key.pem), made first when there is none or the one
 * there can't be read. `hostnames` go into the subject alternative names (the computer's
 * name, `localhost`); IP addresses are left out on purpose: they change with the network,
 * and clients pin the fingerprint, not the name.
 */
export async function ensureHostCertificate(dir: string, hostnames: readonly string[], now = new Date()): Promise<HostCertificate> {
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  try {
    const pem = await readFile(certFile, 'utf8');
    await readFile(keyFile);
    const cert = new X509Certificate(pem);
    if (new Date(cert.validTo) > now) return { certFile, keyFile, fingerprint: cert.fingerprint256 };
  } catch {
    // None yet, or unreadable: make a new one below.
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { certPem, keyPem } = await makeSelfSigned(hostnames, now);
  // Key first, private from its creation; each file appears whole (rename).
  await writeAtomic(keyFile, keyPem, 0o600);
  await writeAtomic(certFile, certPem, 0o644);
  return { certFile, keyFile, fingerprint: new X509Certificate(certPem).fingerprint256 };
}

async function makeSelfSigned(hostnames: readonly string[], now: Date): Promise<{ certPem: string; keyPem: string }> {
  const crypto = webcrypto;
  // @peculiar/x509 works on any WebCrypto; Node's is typed apart from the DOM's.
  x509.cryptoProvider.set(crypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const keys = await crypto.subtle.generateKey(ECDSA, true, ['sign', 'verify']);
  const names = [...new Set(['localhost', ...hostnames.filter((h) => /^[a-z0-9.-]{1,253}$/i.test(h))])];
  const notAfter = new Date(now);
  notAfter.setFullYear(notAfter.getFullYear() + VALID_YEARS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(crypto.getRandomValues(new Uint8Array(16)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: `CN=${names[1] ?? names[0]}, O=Chat host mode`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter,
    keys,
    signingAlgorithm: ECDSA,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: 'dns' as const, value }))),
    ],
  });
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  const keyPem = x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
  return { certPem: cert.toString('pem'), keyPem };
}

async function writeAtomic(file: string, data: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}
