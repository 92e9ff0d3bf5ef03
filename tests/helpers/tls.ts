// Test certificates made with the openssl command line at test time (never
// checked in): a self-signed P-256 certificate for localhost and 127.0.0.1.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

export interface TestCert {
  certFile: string;
  keyFile: string;
  /** PEM of the certificate (a client's `ca`). */
  cert: string;
  /** SHA-256 fingerprint, `AB:CD:...`. */
  fingerprint: string;
}

/** Writes `<name>.crt` and `<name>.key` in `dir`. Needs `openssl` on the PATH. */
export async function makeTestCert(dir: string, name = 'server'): Promise<TestCert> {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  const cert = await readFile(certFile, 'utf8');
  return { certFile, keyFile, cert, fingerprint: new X509Certificate(cert).fingerprint256 };
}
