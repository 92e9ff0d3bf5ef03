// A TCP proxy in front of a server that, once armed, loses a reply on its way
// back: the first server→client bytes containing a marker are dropped, and the
// connection is cut or kept (the request had gone through and was handled).
// Used to check what clients do with a message the server stored but never confirmed.
import net from 'node:net';

export class ReplyDroppingProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private marker: Buffer | null = null;
  private cutToo = true;
  /** Replies dropped so far because of the marker. */
  cuts = 0;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        if (this.marker && chunk.includes(this.marker)) {
          // The server answered: the client never sees it (and its connection drops, if asked).
          this.marker = null;
          this.cuts++;
          if (this.cutToo) {
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
    this.marker = Buffer.from(text);
    this.cutToo = true;
  }

  /** Like dropReplyContaining, but the connection stays up: the client waits for a reply that never comes. */
  swallowReplyContaining(text: string): void {
    this.marker = Buffer.from(text);
    this.cutToo = false;
  }

  /** Closes the listener and every connection; open() again listens on the same port. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
