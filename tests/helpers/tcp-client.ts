// A line-protocol test client behaving like `nc`: sends lines, collects lines
// (and the last unterminated prompt), and waits for patterns with deadlines.
import net from 'node:net';
import tls from 'node:tls';

export class TcpClient {
  readonly lines: string[] = [];
  /** Text after the last newline (a prompt such as "Username: "). */
  partial = '';
  private consumed = 0;
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      const parts = (this.partial + text).split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  /** Connects to 127.0.0.1:`port`, from `localAddress` when given (any 127.x.y.z works on Linux). */
  static connect(port: number, localAddress?: string): Promise<TcpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) }, () => resolve(new TcpClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Connects over TLS (the server's --tls-cert): `options` carry `ca` or a verification override. */
  static connectTls(port: number, options: tls.ConnectionOptions = {}): Promise<TcpClient> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ...options }, () => resolve(new TcpClient(socket)));
      socket.once('error', reject);
    });
  }

  send(line: string): void {
    this.socket.write(`${line}\n`);
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Waits for the next not-yet-consumed line matching `pattern`; consumes up to it. */
  async waitLine(pattern: RegExp | string, timeoutMs = 5_000): Promise<string> {
    const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = this.consumed; i < this.lines.length; i++) {
        if (re.test(this.lines[i]!)) {
          this.consumed = i + 1;
          return this.lines[i]!;
        }
      }
      if (Date.now() > deadline) {
        throw new Error(
          `no line matching ${re} within ${timeoutMs} ms; unread: ${JSON.stringify(this.lines.slice(this.consumed))} partial: ${JSON.stringify(this.partial)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async waitPrompt(prompt: string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.partial.endsWith(prompt)) {
      if (Date.now() > deadline) throw new Error(`no "${prompt}" prompt within ${timeoutMs} ms; partial: ${JSON.stringify(this.partial)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    this.partial = '';
  }

  /** Lines received and not yet consumed by waitLine. */
  unread(): string[] {
    return this.lines.slice(this.consumed);
  }

  async login(username: string, password: string): Promise<void> {
    await this.waitPrompt('Username: ');
    this.send(username);
    await this.waitPrompt('Password: ');
    this.send(password);
    await this.waitLine(`Welcome, ${username}!`);
  }

  async waitClosed(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection did not close');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.socket.end();
  }

  kill(): void {
    this.socket.destroy();
  }
}
