// Container health check (Dockerfile HEALTHCHECK): exits 0 when the node answers
// GET /healthz with 200, 1 otherwise (503 while it shuts down, no answer in 3 s).
// URL: CHAT_HEALTHCHECK_URL, else http://127.0.0.1:${CHAT_WS_PORT or 4001}/healthz,
// or https:// when the server has TLS (CHAT_TLS_CERT). This asks the node on its own
// loopback whether it is alive, not who it is, so the certificate is not verified.
import https from 'node:https';

const scheme = process.env.CHAT_TLS_CERT ? 'https' : 'http';
const url = process.env.CHAT_HEALTHCHECK_URL || `${scheme}://127.0.0.1:${process.env.CHAT_WS_PORT || 4001}/healthz`;

/** Status code of GET url (https without certificate checks), bounded by 3 s. */
function status(target) {
  if (!target.startsWith('https:')) return fetch(target, { signal: AbortSignal.timeout(3000) }).then((r) => r.status);
  return new Promise((resolve, reject) => {
    const req = https.get(target, { rejectUnauthorized: false, timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 3000 ms')));
    req.on('error', reject);
  });
}

try {
  const code = await status(url);
  if (code !== 200) console.error(`healthcheck: ${url} answered ${code}`);
  process.exit(code === 200 ? 0 : 1);
} catch (err) {
  console.error(`healthcheck: ${url}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
