// A client connection as the command core sees it: whole messages in and out,
// whatever the framing. tcp.ts and ws.ts implement it; each renders replies and
// events in its own wire format (text lines or JSON frames).
import type { ChatCore } from '../core';
import type { Logger } from '../log';
import type { CommandType, EventFrame, RequestId, WireError } from '../protocol';
import type { OutboundMessage } from '../services/outbound';

export type TransportKind = 'tcp' | 'ws';

/**
 * Close reasons the transports recognise: they already told the client why
 * (a logout reply, a shutdown event), so no "Disconnected" line is added, and
 * WebSocket uses 1001 (going away) for a shutdown.
 */
export const CloseReason = {
  logout: 'logout',
  shutdown: 'server shutting down',
} as const;

/** What every listener needs, whatever its framing. */
export interface ListenerOptions {
  host: string;
  port: number;
  core: ChatCore;
  log: Logger;
  /** Unauthenticated connections are closed after this long (ms). */
  loginTimeoutMs: number;
  /** Unsent output beyond this many bytes disconnects the peer. */
  maxSendQueueBytes: number;
  allowRegister: boolean;
  serverName: string;
}

export interface Connection {
  /** Process-unique id, for logs. */
  readonly id: number;
  readonly kind: TransportKind;
  readonly remoteAddress: string;
  /** False once closed; sends after that are dropped. */
  readonly open: boolean;

  /** Answers a request. `id` is null for TCP (replies follow commands in order) and for frames without a usable id. */
  reply(id: RequestId | null, type: CommandType, result: unknown): void;
  replyError(id: RequestId | null, error: WireError): void;
  /** Pushes an event (not `message`: deliveries go through deliver()). */
  event(event: EventFrame): void;
  /**
   * Delivers a chat message. `onWritten` runs once the bytes were handed to the
   * kernel (TCP uses it as the implicit acknowledgement).
   */
  deliver(seq: number, offline: boolean, message: OutboundMessage, onWritten?: () => void): void;
  /** Closes after flushing what is queued. */
  close(reason: string): void;
}
