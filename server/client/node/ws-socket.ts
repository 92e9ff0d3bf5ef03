// The client library's socket for Node programs (Electron main, the terminal
// client): the `ws` package behind the library's SocketHandle, text frames in,
// text frames out. Browsers wrap the DOM WebSocket instead.
import WebSocket, { type RawData } from 'ws';
import { MAX_FRAME_BYTES } from '../../protocol';
import type { SocketEvents, SocketHandle } from '../socket';

/** A socket of wsSocketFactory: the library's handle, plus cutting the line without a close handshake. */
export interface WsSocketHandle extends SocketHandle {
  terminate(): void;
  /** Resolves once the socket has closed (after the closing handshake, an error or terminate()). */
  readonly closed: Promise<void>;
}

/**
 * The library's SocketFactory over `ws`.
 * @param handshakeTimeoutMs how long the opening handshake may take, in ms (default 15000).
 */
export function wsSocketFactory(handshakeTimeoutMs = 15_000): (url: string, events: SocketEvents) => WsSocketHandle {
  return (url, events) => {
    const ws = new WebSocket(url, {
      handshakeTimeout: handshakeTimeoutMs,
      // The server never sends frames larger than this; refuse anything bigger.
      maxPayload: MAX_FRAME_BYTES * 4,
      perMessageDeflate: false,
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) events.message(textOf(data));
    });
    let markClosed!: () => void;
    const closed = new Promise<void>((resolve) => (markClosed = resolve));
    ws.on('close', (code: number, reason: Buffer) => {
      markClosed();
      events.close(code, reason.toString('utf8'));
    });
    // Every error is followed by 'close', which reports it; without a listener ws would throw.
    ws.on('error', () => undefined);
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

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
}
