// The terminal client: signs in (a saved token, else the Username and hidden
// Password prompts), then reads the seed's text commands, parses them with the
// protocol's text codec, sends them through the client library's ChatSession
// and prints replies and events with the protocol's text renderers, above the
// line being typed. The session reconnects and resumes by itself; chat messages
// typed while it is away wait in its outbox.
import path from 'node:path';
import {
  ChatSession,
  createAccount,
  httpOrigin,
  isLoopbackHost,
  toWebSocketUrl,
  withServer,
  type ConnectionState,
  type OutboxItem,
  type QueuedWhy,
  type SocketEvents,
  type SocketFactory,
} from '../client';
import { HANDSHAKE_CUT, KnownHosts, pinningTrust, wsSocketFactory, type CertificateTrust, type CredentialStore, type WsSocketHandle } from '../client/node';
import {
  ErrorCode,
  ProtocolError,
  Username,
  parseTextCommand,
  type Command,
  type CommandType,
  type EventFrame,
  type EventOf,
  type ResultOf,
  type WireError,
} from '../protocol';
import { complete } from './completion';
import { credentialsFile, openCredentialStore } from './credentials';
import { Input, type InputStream, type OutputStream } from './input';
import { KnownNames } from './names';
import type { TerminalOptions } from './options';
import { paintDelivery, renderError, renderEvent, renderResult, type Rendered } from './render';
import { Screen, wantsColour } from './screen';

/** The streams and environment the client runs in (the process's own by default). */
export interface TerminalIO {
  stdin: InputStream;
  stdout: OutputStream & { hasColors?(): boolean };
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
}

/** How long quitting waits for the server's answer to `logout`, and then for the socket to close, in ms. */
export const QUIT_WAIT_MS = 2000;

/** Exit codes: 0 signed out cleanly, 1 not signed in (unreachable, cancelled, input ended), 2 bad arguments. */
export const EXIT = { ok: 0, notSignedIn: 1, usage: 2 } as const;

type QuitKind = 'logout' | 'interrupt' | 'end' | 'signal';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * MUST: every line typed is handled in order; its reply or error prints before the next line's.
 * MUST: a server event prints once, in arrival order, after the sign-in's welcome lines.
 * MUST: quitting (logout, Ctrl+C, Ctrl+D, SIGINT, SIGTERM, SIGHUP) happens once and ends the
 * session on the server before the process exits; only `logout` (or not remembering) revokes
 * the saved token.
 */
export class TerminalClient {
  private readonly options: TerminalOptions;
  private readonly io: TerminalIO;
  private readonly screen: Screen;
  private readonly input: Input;
  private readonly names = new KnownNames();
  private readonly session: ChatSession;
  private readonly sockets = new Set<WsSocketHandle>();
  private url = '';
  private store: CredentialStore | null = null;
  /** Why "remember me" uses a file, not the keychain (null: the keychain). */
  private whyFile: string | null = null;
  private username: string | null = null;
  /** Remember this sign-in (keep its token saved); null until decided. */
  private remember: boolean | null;
  private savedToken: string | null = null;
  /** Events that arrived before the welcome lines were printed. */
  private held: EventFrame[] | null = [];
  private lines: Promise<void> = Promise.resolve();
  private chatting = false;
  private reauthenticating = false;
  private quitting: Promise<number> | null = null;
  /** Set once quitting no longer runs typed lines. */
  private stopped = false;
  /** `logout` was typed: the token is revoked and forgotten even when remembered. */
  private logoutAsked = false;
  private finish!: (code: number) => void;
  private readonly finished = new Promise<number>((resolve) => (this.finish = resolve));
  private readonly signalHandlers = new Map<NodeJS.Signals, () => void>();
  private terminalGone = false;
  /** Why each item in the outbox waits (by localId), for the line printed when it goes out. */
  private readonly queuedWhy = new Map<string, QueuedWhy>();

  constructor(options: TerminalOptions, io: TerminalIO) {
    this.options = options;
    this.io = io;
    this.remember = options.remember;
    this.screen = new Screen(io.stdout, wantsColour(io.stdout, io.env, options.color));
    this.input = new Input(
      io.stdin,
      io.stdout,
      (line: string) => complete(line, this.names),
      () => (this.terminalGone = true),
    );
    this.session = new ChatSession({ createSocket: this.socketFactory(), requestTimeoutMs: REPLY_TIMEOUT_MS });
    this.session.onEvent((event) => this.onEvent(event));
    this.session.onState((state) => this.onState(state));
    this.session.onOutboxSent((item) => this.onOutboxSent(item));
    this.session.onOutboxFailure((item, error) => this.onOutboxFailure(item, error));
  }

  /** True when the client quit because its terminal went away (SIGHUP, or reading it failed). */
  get hungUp(): boolean {
    return this.terminalGone;
  }

  /** Runs until the person quits; resolves with the exit code. */
  async run(): Promise<number> {
    for (const signal of SIGNALS) {
      const handler = () => {
        if (signal === 'SIGHUP') this.terminalGone = true;
        void this.quit('signal');
      };
      this.signalHandlers.set(signal, handler);
      process.on(signal, handler);
    }
    try {
      const started = await Promise.race([this.start(), this.finished.then((code) => ({ finished: code }))]);
      if (typeof started === 'object') return started.finished;
      return started === true ? await this.finished : await this.quit('end', started);
    } finally {
      for (const [signal, handler] of this.signalHandlers) process.off(signal, handler);
    }
  }

  /** Greets the server and signs in; true once chatting, else the exit code (having said why). */
  private async start(): Promise<true | number> {
    try {
      this.url = toWebSocketUrl(this.options.address);
    } catch (err) {
      this.io.stderr.write(`error: ${describe(err)}\n`);
      return EXIT.usage;
    }
    const credentials = await openCredentialStore(this.options.configDir, this.options.keychain, (message) => this.notice(message));
    this.store = credentials.store;
    this.whyFile = credentials.whyFile;
    if (this.options.forget) await this.forgetSaved();
    let hello: EventOf<'hello'>;
    try {
      hello = await withServer(this.url, { createSocket: this.socketFactory() }, async (exchange) => exchange.hello);
    } catch (err) {
      const changed = err instanceof ProtocolError && err.code === ErrorCode.CERTIFICATE_CHANGED;
      this.screen.print([changed ? `WARNING: refusing ${this.url}. ${describe(err)}` : unreachableMessage(this.url, this.options.address, err)], 'error');
      return EXIT.notSignedIn;
    }
    this.screen.print([`Connected to ${hello.server} at ${this.url}.`]);
    if (hello.allowRegister) this.screen.print(['New here? Type "register" at the username prompt to create an account.']);
    const signedIn = (await this.signInWithSavedToken()) || (await this.signInWithPassword(hello.allowRegister));
    if (!signedIn) return EXIT.notSignedIn;
    this.startChat();
    return true;
  }

  // ---------------------------------------------------------------- sign-in

  private async signInWithSavedToken(): Promise<boolean> {
    const saved = await this.store!.load().catch(() => null);
    if (!saved || saved.server !== this.url || (this.options.user !== null && this.options.user !== saved.username)) return false;
    try {
      const result = await this.session.signIn({ url: this.url, username: saved.username, token: saved.token, remember: true });
      this.remember = true;
      this.savedToken = saved.token;
      await this.signedIn(result);
      return true;
    } catch (err) {
      const error = toProtocolError(err);
      if (error.code === ErrorCode.INVALID_TOKEN) {
        await this.store!.forget(saved.server, saved.username).catch(() => undefined);
        this.notice(`The saved sign-in of ${saved.username} is no longer valid; sign in with your password.`);
      } else {
        this.printRendered(renderError(error.toWire()));
      }
      return false;
    }
  }

  /** The prompts: Username (unless --user), Password (hidden), Remember me; again after a refusal. */
  private async signInWithPassword(allowRegister: boolean): Promise<boolean> {
    let username = this.options.user ?? this.username;
    for (;;) {
      if (username === null) {
        const typed = await this.input.ask('Username: ');
        if (typed === null) return false;
        const name = typed.trim();
        if (name === '') continue;
        if (name.toLowerCase() === 'register' && allowRegister) {
          if (await this.register()) return true;
          if (!this.interactive) return false;
          continue;
        }
        if (!Username.safeParse(name).success) {
          this.printRendered(renderError({ code: ErrorCode.BAD_REQUEST, message: 'Usernames are 1-32 letters, digits, "_", "." or "-".' }));
          if (!this.interactive) return false;
          continue;
        }
        username = name;
      }
      this.warnIfClearText();
      const password = await this.input.ask('Password: ', { hidden: true });
      if (password === null) return false;
      if (password === '') {
        if (this.interactive) continue;
        this.printRendered(renderError({ code: ErrorCode.BAD_REQUEST, message: 'The password line of the input is empty.' }));
        return false;
      }
      if (!(await this.decideRemember())) return false;
      try {
        const result = await this.session.signIn({ url: this.url, username, password, remember: this.remember === true });
        await this.signedIn(result);
        return true;
      } catch (err) {
        const error = toProtocolError(err);
        this.printRendered(renderError(error.toWire()));
        if (isUnreachable(error)) return false;
        // Piped input has no second password: its next lines are commands, which must never
        // be sent as password attempts (nor count towards the lockout).
        if (!this.interactive) return false;
        // A wrong password (or a lockout) asks for the password again; anything else starts over.
        if (error.code !== ErrorCode.INVALID_CREDENTIALS && error.code !== ErrorCode.ACCOUNT_LOCKED) username = this.options.user;
      }
    }
  }

  /** `register` at the Username prompt: New username, Choose a password, then sign in. */
  private async register(): Promise<boolean> {
    const typed = await this.input.ask('New username: ');
    if (typed === null) return false;
    const username = typed.trim();
    const password = await this.input.ask('Choose a password: ', { hidden: true });
    if (password === null || !(await this.decideRemember())) return false;
    try {
      await createAccount(this.url, { createSocket: this.socketFactory() }, username, password);
      const result = await this.session.signIn({ url: this.url, username, password, remember: this.remember === true });
      await this.signedIn(result);
      return true;
    } catch (err) {
      this.printRendered(renderError(toProtocolError(err).toWire()));
      return false;
    }
  }

  /** Input from a terminal (prompts can be answered again), not a pipe or file read line by line. */
  private get interactive(): boolean {
    return this.io.stdin.isTTY === true;
  }

  /** Asks "Remember me" once per run, unless --remember / --no-remember decided; piped input never remembers unasked. */
  private async decideRemember(): Promise<boolean> {
    if (this.remember !== null) return true;
    if (!this.interactive) {
      this.remember = false;
      return true;
    }
    const answer = await this.input.ask('Remember me on this computer? [y/N] ');
    if (answer === null) return false;
    this.remember = /^\s*y(es)?\s*$/i.test(answer);
    return true;
  }

  private warnIfClearText(): void {
    if (!this.url.startsWith('ws://')) return;
    const host = new URL(this.url).hostname;
    if (isLoopbackHost(host)) return;
    this.screen.print([`Warning: ${this.url} is not encrypted; your password will cross the network in clear. Use wss:// if the server offers TLS.`], 'error');
  }

  /** Signed in: welcome lines, the saved token brought up to date, names for completion. */
  private async signedIn(result: ResultOf<'login'>): Promise<void> {
    this.username = result.username;
    this.names.setSelf(result.username);
    // Not remembered: a sign-in saved earlier for this account is stale now.
    if (this.remember === false) await this.store?.forget(this.url, result.username).catch(() => undefined);
    else await this.saveToken();
    this.printRendered(renderResult('login', result));
    this.releaseHeld();
    // Seed completion with who is around and my groups; nothing is printed.
    for (const command of [{ type: 'whoelse' }, { type: 'grouplist' }] as const) {
      this.session.request(command).then(
        (r: unknown) => this.names.learnResult(command.type, r),
        () => undefined,
      );
    }
  }

  /** Keeps the saved token equal to the session's (the server may hand out a new one on every sign-in). */
  private async saveToken(): Promise<void> {
    const token = this.session.token;
    if (!this.remember || !token || !this.username || token === this.savedToken) return;
    try {
      await this.store!.save({ server: this.url, username: this.username, token });
      if (this.savedToken === null && this.whyFile !== null) {
        this.notice(
          `No keychain (${this.whyFile}): your sign-in token is kept in ${credentialsFile(this.options.configDir)}, readable only by you. Type "logout" to sign out and remove it.`,
        );
      }
      this.savedToken = token;
    } catch (err) {
      this.notice(`Could not save the sign-in token: ${describe(err)}`);
    }
  }

  private async forgetSaved(): Promise<void> {
    const saved = await this.store!.load().catch(() => null);
    if (!saved) return;
    await this.store!.forget(saved.server, saved.username);
    this.notice(`Forgot the saved sign-in of ${saved.username} at ${saved.server}.`);
  }

  // ---------------------------------------------------------------- chatting

  private startChat(): void {
    this.chatting = true;
    this.input.setPrompt(this.promptText());
    this.input.startChat({
      line: (text) => this.onLine(text),
      interrupt: () => void this.quit('interrupt'),
      end: () => void this.quit('end'),
    });
    this.screen.attach(this.input.editor);
  }

  private stopChat(): void {
    this.chatting = false;
    this.screen.attach(null);
    this.input.stopChat();
  }

  private promptText(): string {
    const name = this.username ?? '';
    return this.session.state.state === 'online' ? `${name}> ` : `${name} (offline)> `;
  }

  private onLine(text: string): void {
    // A fresh prompt at once: replies print above it while the next line is typed.
    this.input.editor?.prompt();
    if (text.trim() === '') return;
    this.lines = this.lines.then(() => this.handleLine(text));
  }

  private async handleLine(text: string): Promise<void> {
    if (this.stopped) return;
    let command: Command;
    try {
      command = parseTextCommand(text);
    } catch (err) {
      this.printRendered(renderError(toProtocolError(err).toWire()));
      return;
    }
    switch (command.type) {
      case 'logout':
        // Not awaited: at the end of piped input, quitting is already waiting for this line.
        void this.quit('logout');
        return;
      case 'message':
      case 'broadcast':
      case 'message-group':
        return this.sendChat(command);
      default:
        return this.request(command);
    }
  }

  private async request(command: Command): Promise<void> {
    try {
      const result: ResultOf<CommandType> = await this.session.request(command);
      this.names.learnResult(command.type, result);
      this.printRendered(renderResult(command.type, result, this.linkBase));
    } catch (err) {
      const error = toProtocolError(err);
      if (error.code === ErrorCode.NOT_CONNECTED && this.session.state.state !== 'online') {
        this.printRendered(
          renderError({
            code: ErrorCode.NOT_CONNECTED,
            message: `Not connected to the server (reconnecting); "${command.type}" was not sent. Only message, message group and broadcast wait in the outbox and go out in order once it is back.`,
          }),
        );
        return;
      }
      this.printRendered(renderError(error.toWire()));
    }
  }

  private async sendChat(command: Extract<Command, { type: 'message' | 'broadcast' | 'message-group' }>): Promise<void> {
    try {
      const outcome = await this.session.send(command);
      if (outcome.sent) {
        this.names.learnResult(command.type, outcome.result);
        this.printRendered(renderResult(command.type, outcome.result as ResultOf<typeof command.type>, this.linkBase));
      } else {
        this.queuedWhy.set(outcome.queued.localId, outcome.why);
        this.notice(queuedNotice(outcome.queued, outcome.why, this.session.pendingOutbox.length));
      }
    } catch (err) {
      this.printRendered(renderError(toProtocolError(err).toWire()));
    }
  }

  // ---------------------------------------------------------------- events from the session

  private onEvent(event: EventFrame): void {
    this.names.learnEvent(event);
    if (this.held) this.held.push(event);
    else this.showEvent(event);
  }

  /** Prints the events held back while a sign-in (or a resume) had not said so yet. */
  private releaseHeld(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const event of held) this.showEvent(event);
  }

  private showEvent(event: EventFrame): void {
    if (event.event === 'message') {
      this.screen.printRaw([paintDelivery(event, this.screen.paint, this.linkBase)]);
      return;
    }
    const rendered = renderEvent(event);
    if (rendered) this.printRendered(rendered);
  }

  private onState(state: ConnectionState): void {
    if (!this.chatting && !this.reauthenticating) return;
    switch (state.state) {
      case 'reconnecting':
        // The replay of a resume arrives with the login reply, before the session says it is
        // online: hold it until "Reconnected" is printed.
        this.held ??= [];
        // retryInMs is 0 when an attempt starts at once (after "offline"); it says nothing new.
        if (state.retryInMs > 0) {
          const when = `${(state.retryInMs / 1000).toFixed(1)} s`;
          this.notice(
            state.attempt === 1
              ? `Connection lost (${state.lastError}); reconnecting in ${when}.`
              : `Still not connected (${state.lastError}); next try in ${when} (attempt ${state.attempt}).`,
          );
        }
        break;
      case 'online':
        if (!this.reauthenticating) {
          const waiting = this.session.pendingOutbox.length;
          this.notice(`Reconnected.${waiting > 0 ? ` Sending ${waiting} queued message(s).` : ''}`);
          this.releaseHeld();
        }
        void this.saveToken();
        break;
      case 'offline':
        // The server refused the saved token (expired or revoked): only the password helps now.
        if (this.session.token === null) void this.reauthenticate(state.lastError);
        break;
      default:
        break;
    }
    if (this.chatting) {
      this.input.setPrompt(this.promptText());
      this.screen.redraw();
    }
  }

  private async reauthenticate(reason: string): Promise<void> {
    if (this.reauthenticating || this.quitting) return;
    this.reauthenticating = true;
    this.notice(`Signed out by the server (${reason}). Sign in again as ${this.username}.`);
    if (this.username) await this.store?.forget(this.url, this.username).catch(() => undefined);
    this.savedToken = null;
    this.stopChat();
    this.held = [];
    if (!this.interactive) {
      // A script's remaining lines are commands, not a password: stop here, not signed in.
      await this.quit('interrupt', EXIT.notSignedIn);
      return;
    }
    const ok = await this.signInWithPassword(false);
    this.reauthenticating = false;
    if (!ok) {
      await this.quit('end');
      return;
    }
    this.startChat();
  }

  /**
   * An outbox item the server accepted: one line, whether it was stored now or,
   * for a resend whose first reply was lost, the first time (the server answers
   * that repeat with the stored message and delivers nothing again).
   */
  private onOutboxSent(item: OutboxItem): void {
    this.notice(`Sent ${describeItem(item)} (${SENT_AFTER_WAITING[this.takeQueuedWhy(item)]}).`);
  }

  private onOutboxFailure(item: OutboxItem, error: WireError): void {
    const what = REFUSED_AFTER_WAITING[this.takeQueuedWhy(item)];
    this.printRendered(renderError({ ...error, message: `${error.message} (${describeItem(item)}, ${what})` }));
  }

  /** Why `item` waited in the outbox (forgotten now that it is answered); 'offline' when not known. */
  private takeQueuedWhy(item: OutboxItem): QueuedWhy {
    const why = this.queuedWhy.get(item.localId) ?? 'offline';
    this.queuedWhy.delete(item.localId);
    return why;
  }

  // ---------------------------------------------------------------- quitting

  /**
   * Ends the session and resolves the exit code. `logout`, and any quit when the sign-in is
   * not remembered, sends logout (its reply waited for at most QUIT_WAIT_MS), which also
   * revokes the token; a remembered sign-in closes the connection instead (the server ends
   * the session at once) so the saved token works next time, like quitting the desktop app.
   */
  private quit(kind: QuitKind, code: number = EXIT.ok): Promise<number> {
    if (kind === 'logout') this.logoutAsked = true;
    this.quitting ??= (async () => {
      if (kind === 'end') await this.lines; // Piped input: what was typed before the end still runs.
      this.stopped = true;
      const signedIn = this.session.state.state !== 'signed-out';
      this.stopChat();
      this.input.close();
      const unsent = this.session.pendingOutbox;
      if (unsent.length > 0) this.notice(`${unsent.length} queued message(s) were not sent: ${unsent.map(describeItem).join('; ')}.`);
      if (signedIn) {
        if (this.logoutAsked || this.remember !== true) {
          const username = this.username;
          await withTimeout(this.session.signOut(), QUIT_WAIT_MS);
          this.session.close();
          if (username && this.remember === true) await this.store?.forget(this.url, username).catch(() => undefined);
        } else {
          this.session.close();
        }
        await withTimeout(Promise.all([...this.sockets].map((s) => s.closed)), QUIT_WAIT_MS);
        this.printRendered(renderResult('logout', {}));
      }
      const exitCode = signedIn || code !== EXIT.ok ? code : EXIT.notSignedIn;
      this.finish(exitCode);
      return exitCode;
    })();
    return this.quitting;
  }

  // ---------------------------------------------------------------- plumbing

  /** The library's socket over `ws`, keeping track of open sockets so quitting can wait for their close. */
  private socketFactory(): SocketFactory {
    const open = wsSocketFactory(undefined, this.certificateTrust());
    return (url: string, events: SocketEvents) => {
      const socket = open(url, events);
      this.sockets.add(socket);
      void socket.closed.then(() => this.sockets.delete(socket));
      return socket;
    };
  }

  /** Attachment links arrive relative to the server's HTTP origin: printed whole, as `nc` shows them, so they can be opened. */
  private get linkBase(): string {
    return httpOrigin(this.url) ?? '';
  }

  private printRendered(rendered: Rendered): void {
    this.screen.print(rendered.lines, rendered.style);
  }

  /**
   * wss:// certificates: a system authority's, or the one pinned for the server (--fingerprint),
   * or the one remembered in <config dir>/known_hosts; a first one is remembered (and shown).
   */
  private certificateTrust(): CertificateTrust {
    const knownHosts = new KnownHosts(path.join(this.options.configDir, KNOWN_HOSTS_FILE));
    const pin = this.options.fingerprint;
    return pinningTrust({
      knownHosts,
      pinFor: () => pin,
      onFirstUse: (address, fingerprint) =>
        this.notice(
          `First TLS connection to ${address}, whose certificate no authority vouches for: trusting it from now on. ` +
            `SHA-256 ${fingerprint} (compare it with the one the server printed; kept in ${knownHosts.file}).`,
        ),
      onWarning: (message, err) => this.notice(`${message}: ${describe(err)}`),
    });
  }

  private notice(message: string): void {
    this.screen.print([`* ${message}`], 'notice');
  }
}

/** Trusted server certificates, in the config folder (see known-hosts.ts for the format). */
export const KNOWN_HOSTS_FILE = 'known_hosts';

/**
 * The first connection failed: why, once (the link's message repeats the URL), and for a
 * `wss://` the client chose itself (another machine, no scheme typed) the way to a
 * server without TLS, which refuses the handshake.
 */
function unreachableMessage(url: string, typed: string, err: unknown): string {
  const why = describe(err).replace(`Cannot reach ${url}: `, '');
  const guessed = !/^[a-z][a-z0-9+.-]*:\/\//i.test(typed.trim());
  let hint = '';
  if (guessed && url.startsWith('wss://')) hint = ` If that server has no TLS, type ws://${typed.trim()} instead.`;
  // A TLS server cuts a plain handshake (this machine's addresses get ws:// unless told otherwise).
  else if (guessed && why === HANDSHAKE_CUT) hint = ` If that server has TLS, type wss://${typed.trim()} instead.`;
  return `Cannot reach the chat server at ${url}: ${why}.${hint}`;
}

/** How long a command waits for its reply before TIMEOUT, in ms (the client library's default). */
const REPLY_TIMEOUT_MS = 15_000;

/** How the "Sent ..." line for an outbox item says why it went late, by why it waited. */
const SENT_AFTER_WAITING: Record<QueuedWhy, string> = {
  offline: 'queued while offline',
  behind: 'sent after the messages before it',
  'no-reply': 'sent again after the reply was lost; stored once',
  dropped: 'sent again after the reply was lost; stored once',
};

/**
 * How the refusal of an outbox item says why it had waited and what became of it, by why
 * it waited. A resend after a lost reply went out, so it "was refused", not "not sent"
 * (the first try may still have been stored: a group resend is refused once its sender left).
 */
const REFUSED_AFTER_WAITING: Record<QueuedWhy, string> = {
  offline: 'queued while offline, was not sent',
  behind: 'queued behind the messages before it, was not sent',
  'no-reply': 'sent again after the reply was lost, was refused',
  dropped: 'sent again after the reply was lost, was refused',
};

/** The notice for a chat message that went to the outbox instead of being answered, by why it waits. */
function queuedNotice(item: OutboxItem, why: QueuedWhy, waiting: number): string {
  const what = `${describeItem(item)} waits in the outbox (${waiting} waiting)`;
  const once = 'it goes out again with the same key, so the server stores it once';
  switch (why) {
    case 'no-reply':
      return `No reply from the server in ${REPLY_TIMEOUT_MS / 1000} s: ${what}; ${once}.`;
    case 'dropped':
      return `The connection dropped before the server answered: ${what}; ${once}, when the connection is back.`;
    case 'behind':
      return `${what[0]?.toUpperCase()}${what.slice(1)} and goes out after the messages before it.`;
    default:
      return `Not connected: ${what} and goes out when the connection is back.`;
  }
}

/** `your message to bob "hi"` for outbox notices (the text cut to 40 characters). */
function describeItem(item: OutboxItem): string {
  const c = item.command;
  const full = c.text ?? '';
  const text = full.length > 40 ? `${full.slice(0, 39)}…` : full;
  const to = c.type === 'message' ? `to ${c.to}` : c.type === 'message-group' ? `to group ${c.group}` : 'to everyone';
  return `your message ${to} "${text}"`;
}

function isUnreachable(error: ProtocolError): boolean {
  return error.code === ErrorCode.UNREACHABLE || error.code === ErrorCode.TIMEOUT || error.code === ErrorCode.NOT_CONNECTED;
}

function toProtocolError(err: unknown): ProtocolError {
  return err instanceof ProtocolError ? err : new ProtocolError(ErrorCode.INTERNAL, describe(err));
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Resolves when `promise` settles or after `ms`, whichever comes first; never rejects. */
async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
