// Container health check (Dockerfile HEALTHCHECK): exits 0 when the node answers
// GET /healthz with 200, 1 otherwise (503 while it shuts down, no answer in 3 s).
// URL: CHAT_HEALTHCHECK_URL, else http://127.0.0.1:${CHAT_WS_PORT or 4001}/healthz.
const url = process.env.CHAT_HEALTHCHECK_URL || `http://127.0.0.1:${process.env.CHAT_WS_PORT || 4001}/healthz`;
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!response.ok) console.error(`healthcheck: ${url} answered ${response.status}`);
  process.exit(response.ok ? 0 : 1);
} catch (err) {
  console.error(`healthcheck: ${url}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
