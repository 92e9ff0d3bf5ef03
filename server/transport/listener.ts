// What every listener needs, whatever its framing.
import type { Inbound } from '../connection';
import type { Logger } from '../log';
import type { TlsMaterial } from './tls';

export interface ListenerOptions {
  host: string;
  port: number;
  /** The core, through its narrow inbound interface. */
  inbound: Inbound;
  log: Logger;
  /** Unsent output beyond this many bytes disconnects the peer. */
  maxSendQueueBytes: number;
  allowRegister: boolean;
  serverName: string;
  /** Certificate and key: the listener speaks only TLS. Null: plain TCP / HTTP. */
  tls: TlsMaterial | null;
}
