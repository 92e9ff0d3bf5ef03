// Short-lived WebSocket exchanges the browser client needs before a session
// exists: reading the server's hello, and creating an account. Every frame is
// validated with the protocol's ServerFrame schema before it is trusted.
import { encodeRequest, ErrorCode, ProtocolError, ServerFrame, type Command, type EventOf } from '../../../server/protocol';

/** How long a one-shot exchange may take before it fails with TIMEOUT, in ms. */
export const ONE_SHOT_TIMEOUT_MS = 8000;

interface Exchange {
  hello: EventOf<'hello'>;
  /** Sends one command and resolves its result; rejects with the server's error. */
  call(command: Command): Promise<unknown>;
}

/**
 * Opens `url`, waits for hello, runs `work`, then closes the socket.
 * Rejects UNREACHABLE when the socket cannot open, TIMEOUT when it stalls.
 */
export function withServer<T>(url: string, work: (exchange: Exchange) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch {
      reject(new ProtocolError(ErrorCode.UNREACHABLE, `Cannot connect to ${url}`));
      return;
    }
    let nextId = 1;
    let settled = false;
    const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      for (const p of pending.values()) p.reject(new ProtocolError(ErrorCode.NOT_CONNECTED, 'Connection closed'));
      fn();
    };
    const timer = setTimeout(() => finish(() => reject(new ProtocolError(ErrorCode.TIMEOUT, 'The server did not answer in time'))), ONE_SHOT_TIMEOUT_MS);
    socket.onerror = () => finish(() => reject(new ProtocolError(ErrorCode.UNREACHABLE, `Cannot reach the server at ${url}`)));
    socket.onclose = () => finish(() => reject(new ProtocolError(ErrorCode.UNREACHABLE, 'The server closed the connection')));
    socket.onmessage = (msg) => {
      let frame: ServerFrame;
      try {
        frame = ServerFrame.parse(JSON.parse(String(msg.data)));
      } catch {
        return; // Ignore what we cannot read; the timeout bounds the wait.
      }
      if (frame.type === 'event') {
        if (frame.event !== 'hello') return;
        const exchange: Exchange = {
          hello: frame,
          call: (command) =>
            new Promise((res, rej) => {
              const id = nextId++;
              pending.set(id, { resolve: res, reject: rej });
              socket.send(encodeRequest(id, command));
            }),
        };
        work(exchange).then(
          (value) => finish(() => resolve(value)),
          (err: unknown) => finish(() => reject(err)),
        );
        return;
      }
      if (typeof frame.id !== 'number') return;
      const waiter = pending.get(frame.id);
      if (!waiter) return;
      pending.delete(frame.id);
      if (frame.ok) waiter.resolve(frame.result);
      else waiter.reject(new ProtocolError(frame.error.code, frame.error.message, frame.error.retryAfter));
    };
  });
}
