// Registers every renderer → main invoke channel through one helper that checks the
// sending frame, validates the argument and turns every outcome into an IpcResult,
// so nothing ever throws across IPC and no unvalidated value reaches the app logic.
import { z } from 'zod';
import { describeIssue, ErrorCode, Password, ProtocolError, Username, parseCommand, type Command, type WireError } from '../../server/protocol';
import type { Invoke, InvokeChannel, IpcResult, OutboxItem } from './contract';
import { INVOKE_CHANNELS } from './contract';
import type { IpcPort, IpcSender } from '../platform/seams';
import { APP_HOST, APP_INDEX_URL, APP_SCHEME } from '../app-protocol';
import { isChatFileUrl } from '../file-save';
import { SettingsPatchSchema } from '../settings';

/** One function per invoke channel, already given a validated argument. */
export type IpcRoutes = { [C in InvokeChannel]: (arg: Invoke[C][0]) => Promise<Invoke[C][1]> | Invoke[C][1] };

/** Commands that change who is signed in: only the session:* channels may do that. */
const SESSION_COMMANDS: ReadonlySet<string> = new Set(['login', 'register', 'logout']);
const CHAT_SEND_COMMANDS: ReadonlySet<string> = new Set(['message', 'broadcast', 'message-group']);

const Port = z.number().int().min(0).max(65_535);
const NoArgument = z.undefined();

/** The argument validator of each channel; returns the typed value or throws ProtocolError. */
const validators: { [C in InvokeChannel]: (arg: unknown) => Invoke[C][0] } = {
  'app:info': zod(NoArgument),
  'app:set-unread': zod(z.strictObject({ count: z.number().int().min(0).max(1_000_000) })),
  'session:sign-in': zod(
    z.strictObject({
      server: z.string().trim().min(1).max(300),
      username: Username,
      password: Password,
      remember: z.boolean(),
    }),
  ),
  'session:resume': zod(NoArgument),
  'session:sign-out': zod(z.strictObject({ forget: z.boolean() })),
  'session:retry': zod(NoArgument),
  'chat:request': (arg) => {
    const command = parseCommand(arg);
    if (SESSION_COMMANDS.has(command.type)) {
      throw new ProtocolError(ErrorCode.BAD_REQUEST, `"${command.type}" goes through the session:* channels, not chat:request`);
    }
    return command;
  },
  'chat:send': (arg) => {
    const command: Command = parseCommand(arg);
    if (!CHAT_SEND_COMMANDS.has(command.type)) {
      throw new ProtocolError(ErrorCode.BAD_REQUEST, `chat:send takes message, broadcast or message-group, not "${command.type}"`);
    }
    return command as OutboxItem['command'];
  },
  'host:start': zod(z.strictObject({ port: Port, wsPort: Port })),
  'host:stop': zod(NoArgument),
  'host:status': zod(NoArgument),
  'settings:get': zod(NoArgument),
  'settings:set': zod(SettingsPatchSchema),
  'links:take': zod(NoArgument),
  'discovery:start': zod(NoArgument),
  'discovery:stop': zod(NoArgument),
  'updates:status': zod(NoArgument),
  'updates:check': zod(NoArgument),
  'updates:install': zod(NoArgument),
  'file:save-as': zod(
    z.strictObject({
      url: z.string().max(4096).refine(isChatFileUrl, 'must be a chat server file URL (http(s)://host/api/files/<id>)'),
      name: z.string().min(1).max(255),
    }),
  ),
};

function zod<T>(schema: z.ZodType<T>): (arg: unknown) => T {
  return (arg) => {
    const parsed = schema.safeParse(arg);
    if (!parsed.success) throw new ProtocolError(ErrorCode.BAD_REQUEST, describeIssue(parsed.error));
    return parsed.data;
  };
}

export interface TrustedOrigins {
  /** Vite dev server URL in development, or null (always null in a packaged build). */
  devServerUrl: string | null;
}

/**
 * Only the app's own page may call main: app://chat/index.html (any hash or query), or the
 * dev server's origin in development. Any other frame — an iframe, a file:// page, a page
 * reached by a navigation that slipped through, a devtools extension — is refused, so a
 * compromised or foreign page cannot sign in, read messages or start a server.
 */
export function createSenderCheck(origins: TrustedOrigins): (frameUrl: string | null) => boolean {
  const ownPage = new URL(APP_INDEX_URL);
  const devOrigin = origins.devServerUrl ? new URL(origins.devServerUrl).origin : null;
  return (frameUrl) => {
    if (!frameUrl) return false;
    let url: URL;
    try {
      url = new URL(frameUrl);
    } catch {
      return false;
    }
    if (url.protocol === `${APP_SCHEME}:`) {
      return url.hostname === APP_HOST && url.port === '' && url.username === '' && url.password === '' && url.pathname === ownPage.pathname;
    }
    return devOrigin !== null && (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === devOrigin;
  };
}

export interface HandlerOptions {
  isTrustedSender: (frameUrl: string | null) => boolean;
  /** Unexpected exceptions (bugs) are logged here; the renderer only sees INTERNAL. */
  onError?: (channel: InvokeChannel, err: unknown) => void;
}

/**
 * Registers a handler for each channel of INVOKE_CHANNELS — and only those: the routes
 * object must name exactly the contract's channels, so an unknown channel has no
 * handler and ipcRenderer.invoke on it rejects. Returns a function removing them all.
 */
export function registerIpcHandlers(ipc: IpcPort, routes: IpcRoutes, options: HandlerOptions): () => void {
  for (const channel of INVOKE_CHANNELS) {
    ipc.handle(channel, (sender, arg) => invoke(channel, sender, arg, routes, options));
  }
  return () => {
    for (const channel of INVOKE_CHANNELS) ipc.removeHandler(channel);
  };
}

/** The one helper every channel goes through: origin check, validation, routing, IpcResult. */
async function invoke<C extends InvokeChannel>(
  channel: C,
  sender: IpcSender,
  arg: unknown,
  routes: IpcRoutes,
  options: HandlerOptions,
): Promise<IpcResult<Invoke[C][1]>> {
  if (!options.isTrustedSender(sender.frameUrl)) {
    return failure({ code: ErrorCode.BAD_REQUEST, message: `${channel}: refused, the sender is not the app's own page` });
  }
  try {
    const value = validators[channel](arg);
    const route = routes[channel] as (arg: Invoke[C][0]) => Promise<Invoke[C][1]> | Invoke[C][1];
    return { ok: true, value: await route(value) };
  } catch (err) {
    if (err instanceof ProtocolError) {
      const wire = err.toWire();
      return failure(err.code === ErrorCode.BAD_REQUEST ? { ...wire, message: `${channel}: ${wire.message}` } : wire);
    }
    options.onError?.(channel, err);
    return failure({ code: ErrorCode.INTERNAL, message: `${channel} failed inside the app` });
  }
}

function failure(error: WireError): { ok: false; error: WireError } {
  return { ok: false, error };
}
