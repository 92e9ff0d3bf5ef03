// The client library's socket for Node programs (Electron main, the terminal
// client): the `ws` package behind the library's SocketHandle, text frames in,
// text frames out. Browsers wrap the DOM WebSocket instead.
//
// For wss:// with a CertificateTrust, the certificate is checked right after the
// TLS handshake, before the HTTP upgrade request (or anything else) is written:
// a refused certificate closes the socket with the trust's error.
import net from 'node:net';
import tls from 'node:tls';
import WebSocket, { type RawData } from 'ws';
import { MAX_FRAME_BYTES, type WireError } from '../../protocol';
import type { SocketEvents, SocketHandle } from '../socket';
import type { CertificateTrust } from './tls-trust';

/** A socket of wsSocketFactory: the library's handle, plus cutting the line without a close handshake. */
export interface WsSocketHandle extends SocketHandle {
  terminate(): void;
  /** Resolves once the socket has closed (after the closing handshake, an error or terminate()). */
  readonly closed: Promise<void>;
}

/**
 * The library's SocketFactory over `ws`.
 * @param handshakeTimeoutMs how long the opening handshake may take, in ms (default 15000).
 * @param trust decides on wss:// certificates (pinning, trust on first use); default null:
 *   only certificates a system authority vouches for, as a browser would.
 */
export function wsSocketFactory(handshakeTimeoutMs = 15_000, trust: CertificateTrust | null = null): (url: string, events: SocketEvents) => WsSocketHandle {
  return (url, events) => {
    let refused: WireError | undefined;
    const address = new URL(url).host;
    const ws = new WebSocket(url, {
      handshakeTimeout: handshakeTimeoutMs,
      // The server never sends frames larger than this; refuse anything bigger.
      maxPayload: MAX_FRAME_BYTES * 4,
      perMessageDeflate: false,
      ...(trust && url.startsWith('wss:') ? { createConnection: checkedTlsConnect(trust, address, (r) => (refused = r)) } : {}),
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) events.message(textOf(data));
    });
    let markClosed!: () => void;
    const closed = new Promise<void>((resolve) => (markClosed = resolve));
    let failure: NodeJS.ErrnoException | undefined;
    let opened = false;
    ws.on('open', () => (opened = true));
    ws.on('close', (code: number, reason: Buffer) => {
      markClosed();
      // A close without a close frame (1006) has no reason of its own: say what the socket saw.
      const said = reason.toString('utf8');
      events.close(code, said === '' && code === 1006 && failure ? socketFailure(failure, opened) : said, refused);
    });
    // Every error is followed by 'close', which reports it; without a listener ws would throw.
    ws.on('error', (err: NodeJS.ErrnoException) => (failure ??= err));
    return {
      get open() {
        return ws.readyState === WebSocket.OPEN;
      },
      send: (text) => ws.send(text),
      close: (code, reason) => ws.close(code, reason),
      terminate: () => ws.terminate(),
      closed,
    };
  };
}

/** Why a connection failed before a close frame came, in the words the clients show after "Cannot reach URL: ". */
const CONNECTION_REFUSED = 'connection refused';
/** The server ended the connection during the opening handshake: a TLS server reached with ws:// does. */
export const HANDSHAKE_CUT = 'the server closed the connection during the handshake';

/** `err` in those words; `opened`: the WebSocket handshake had completed (a reset then is no handshake's). */
function socketFailure(err: NodeJS.ErrnoException, opened: boolean): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return CONNECTION_REFUSED;
    case 'ECONNRESET':
      return opened ? 'the connection was reset' : HANDSHAKE_CUT;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host';
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to the server (timed out or unreachable)';
    default:
      return err.message;
  }
}

/**
 * ws's `createConnection` for wss:// under a CertificateTrust: tls.connect with OpenSSL's
 * verdict read instead of enforced, then the trust decides on 'secureConnect'. ws only ever
 * calls it with an options object (its types allow the other net.connect forms too).
 */
function checkedTlsConnect(trust: CertificateTrust, address: string, onRefused: (refusal: WireError) => void): typeof net.createConnection {
  const connect = (options: tls.ConnectionOptions) => {
    const host = options.host ?? '';
    const socket = tls.connect({ ...options, servername: options.servername ?? (net.isIP(host) ? '' : host), rejectUnauthorized: false });
    socket.once('secureConnect', () => {
      const verdict = trust.check({
        address,
        fingerprint: socket.getPeerCertificate().fingerprint256,
        authorized: socket.authorized,
        authorizationError: socket.authorized ? null : String(socket.authorizationError),
      });
      if (verdict) {
        onRefused(verdict);
        socket.destroy(new Error(verdict.message));
      }
    });
    return socket;
  };
  return connect as unknown as typeof net.createConnection;
}

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
}
