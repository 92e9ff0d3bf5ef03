// A TCP proxy for tests. It can be cut and restored, to take a service
// (PostgreSQL, Redis, the chat server) away from one client while it keeps
// running for the others. Once armed, it can also lose a reply on its way back:
// the first server→client bytes containing a marker are dropped, and the
// connection cut or kept (the request had gone through and was handled), to check
// what clients do with a message the server stored but never confirmed.
import net from 'node:net';

/** A reply to lose: the next server→client bytes containing `marker`; `thenCut` also cuts that connection. */
interface ReplyToDrop {
  marker: Buffer;
  thenCut: boolean;
}

/** A TCP proxy to `target` that can be cut (listener closed, every connection destroyed) and restored (open() again, same port). */
export class TcpProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private replyToDrop: ReplyToDrop | null = null;
  /** Replies dropped so far by dropReplyContaining / swallowReplyContaining. */
  repliesDropped = 0;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        // One side gone ends the pair: the other side sees the connection drop.
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        const drop = this.replyToDrop;
        if (drop && chunk.includes(drop.marker)) {
          // The server answered: the client never sees it (and its connection drops, if asked).
          this.replyToDrop = null;
          this.repliesDropped++;
          if (drop.thenCut) {
            upstream.destroy();
            client.destroy();
          }
          return;
        }
        client.write(chunk);
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** The next server→client bytes containing `text` (plain ASCII, as it appears on the wire) are dropped and that connection cut. */
  dropReplyContaining(text: string): void {
    this.replyToDrop = { marker: Buffer.from(text), thenCut: true };
  }

  /** Like dropReplyContaining, but the connection stays up: the client waits for a reply that never comes. */
  swallowReplyContaining(text: string): void {
    this.replyToDrop = { marker: Buffer.from(text), thenCut: false };
  }

  /** Closes the listener and every connection; open() again listens on the same port. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
