// A WebSocket test client speaking the JSON protocol: id-matched requests,
// a queue of pushed events to wait on, and raw access for bad-input tests.
import WebSocket from 'ws';
import {
  ServerFrame,
  type Command,
  type CommandType,
  type EventFrame,
  type EventOf,
  type EventName,
  type ResultOf,
  type WireError,
} from '../../server/protocol';

export type Reply = { ok: true; result: unknown } | { ok: false; error: WireError };

export class WsClient {
  readonly events: EventFrame[] = [];
  /** The server's first frame (connect() waits for it). */
  hello!: EventOf<'hello'>;
  /** Replies that carried no id (errors for undecodable frames). */
  readonly orphanErrors: WireError[] = [];
  private nextId = 1;
  private readonly pending = new Map<string | number, (reply: Reply) => void>();
  private waiters: (() => void)[] = [];
  closed: { code: number; reason: string } | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.onFrame(data.toString()));
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    ws.on('error', () => {});
  }

  /** Connects and waits for the hello event. `options` are ws's (e.g. `ca` for a wss:// test server, `origin`, `localAddress` to pick the source address such as 127.0.0.2). */
  static async connect(url: string, options: WebSocket.ClientOptions = {}): Promise<WsClient> {
    const ws = new WebSocket(url, options);
    const client = new WsClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    client.hello = await client.waitEvent('hello');
    return client;
  }

  private onFrame(text: string): void {
    const parsed = ServerFrame.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`server sent an invalid frame: ${text.slice(0, 200)}`);
    const frame = parsed.data;
    if (frame.type === 'reply') {
      if (frame.id === null) {
        if (!frame.ok) this.orphanErrors.push(frame.error);
      } else {
        const resolve = this.pending.get(frame.id);
        this.pending.delete(frame.id);
        resolve?.(frame.ok ? { ok: true, result: frame.result } : { ok: false, error: frame.error });
      }
    } else {
      this.events.push(frame);
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  /** Sends a command and waits for its reply (ok or error). */
  send(command: Command, timeoutMs = 10_000): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${command.type} within ${timeoutMs} ms`)), timeoutMs);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.ws.send(JSON.stringify({ id, ...command }));
    });
  }

  /** Sends a command and returns its result; throws with the error code if it failed. */
  async request<K extends CommandType>(command: Extract<Command, { type: K }>): Promise<ResultOf<K>> {
    const reply = await this.send(command);
    if (!reply.ok) throw Object.assign(new Error(`${reply.error.code}: ${reply.error.message}`), { code: reply.error.code, wire: reply.error });
    return reply.result as ResultOf<K>;
  }

  /** Sends a command expected to fail; returns its error. */
  async expectError(command: Command): Promise<WireError> {
    const reply = await this.send(command);
    if (reply.ok) throw new Error(`${command.type} unexpectedly succeeded: ${JSON.stringify(reply.result)}`);
    return reply.error;
  }

  async login(username: string, password: string, extra: Partial<Extract<Command, { type: 'login' }>> = {}): Promise<ResultOf<'login'>> {
    return this.request<'login'>({ type: 'login', username, password, ...extra });
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** Waits for (and removes) the first event of `name` matching `match`. */
  async waitEvent<K extends EventName>(name: K, match: (e: EventOf<K>) => boolean = () => true, timeoutMs = 5_000): Promise<EventOf<K>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.events.findIndex((e) => e.event === name && match(e as EventOf<K>));
      if (index !== -1) return this.events.splice(index, 1)[0] as EventOf<K>;
      if (this.closed) throw new Error(`connection closed (${this.closed.code} ${this.closed.reason}) while waiting for ${name}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${name} event within ${timeoutMs} ms; have: ${this.events.map((e) => e.event).join(',')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Message events received so far (removed from the queue). */
  takeMessages(): EventOf<'message'>[] {
    const out: EventOf<'message'>[] = [];
    for (let i = 0; i < this.events.length;) {
      const e = this.events[i]!;
      if (e.event === 'message') {
        out.push(e);
        this.events.splice(i, 1);
      } else i++;
    }
    return out;
  }

  async waitMessages(count: number, timeoutMs = 5_000): Promise<EventOf<'message'>[]> {
    const got: EventOf<'message'>[] = [];
    while (got.length < count) got.push(await this.waitEvent('message', () => true, timeoutMs));
    return got;
  }

  /** Waits for (and removes) the first error reply that carried no request id. */
  async waitOrphanError(timeoutMs = 5_000): Promise<WireError> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const first = this.orphanErrors.shift();
      if (first) return first;
      if (this.closed) throw new Error(`connection closed (${this.closed.code}) while waiting for an error reply`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no error reply without id within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Sends a raw frame carrying `id` and waits for the reply with that id. */
  sendRawWithId(id: string | number, frame: string, timeoutMs = 5_000): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to raw frame ${String(id)} within ${timeoutMs} ms`)), timeoutMs);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.ws.send(frame);
    });
  }

  async waitClosed(timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection did not close');
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.closed;
  }

  close(): void {
    this.ws.close();
  }

  /** Drops the TCP connection without a close handshake (like a killed process). */
  kill(): void {
    this.ws.terminate();
  }
}
