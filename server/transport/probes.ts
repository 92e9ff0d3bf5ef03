// The operator's HTTP endpoints: /healthz (liveness), /readyz (readiness: the
// store and the bus answer) and /metrics (Prometheus text). The public HTTP
// listener serves the first two, and /metrics only with `--metrics on`; a
// separate metrics listener (`--metrics HOST:PORT`) serves all three.
import http from 'node:http';
import type { Inbound } from '../connection';
import type { Logger } from '../log';

/**
 * Answers `req` when it is one of the probes (returns true), else leaves it alone.
 * `withMetrics` says whether /metrics is served here.
 */
export function serveProbe(req: http.IncomingMessage, res: http.ServerResponse, inbound: Inbound, withMetrics: boolean): boolean {
  const path = (req.url ?? '').split('?')[0];
  const probe = path === '/healthz' || path === '/readyz' || (path === '/metrics' && withMetrics);
  if (probe && req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' });
    res.end('Method not allowed: use GET or HEAD\n');
    return true;
  }
  if (path === '/healthz') {
    const status = inbound.shuttingDown ? 503 : 200;
    const { connections, sessions } = inbound.health();
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ status: inbound.shuttingDown ? 'shutting-down' : 'ok', connections, sessions }));
    return true;
  }
  if (path === '/readyz') {
    void inbound.readiness().then(({ ready, checks }) => {
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ status: ready ? 'ready' : 'not-ready', checks }));
    });
    return true;
  }
  if (path === '/metrics' && withMetrics) {
    inbound.metrics().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
        res.end(body);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`metrics failed: ${(err as Error).message}\n`);
      },
    );
    return true;
  }
  return false;
}

export interface MetricsListener {
  server: http.Server;
  close(): Promise<void>;
}

/** The metrics listener of `--metrics HOST:PORT`: /metrics, /healthz and /readyz, nothing else (404). */
export function listenMetrics(options: { host: string; port: number; inbound: Inbound; log: Logger }): Promise<MetricsListener> {
  const server = http.createServer((req, res) => {
    if (serveProbe(req, res, options.inbound, true)) return;
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Not found: this listener serves /metrics, /healthz and /readyz\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      server.on('error', (err) => options.log.error({ err }, 'metrics listener error'));
      resolve({
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
