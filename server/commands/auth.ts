// Sign-in, registration and sign-out.
import { CloseReason } from '../connection';
import { ErrorCode, ProtocolError, type CommandOf, type ResultOf } from '../protocol';
import { LockoutError } from '../services/accounts';
import type { CommandContext, CommandSpec } from './types';

async function signIn(
  ctx: CommandContext,
  username: string,
  options: { remember?: boolean; resumeFrom?: number; presence?: boolean },
): Promise<ResultOf<'login'>> {
  const { services, client } = ctx;
  // Read before the session starts: nothing after start() may fail before the reply.
  const profile = await services.profiles.get(username);
  const started = await services.sessions.start(client, username, {
    ...(options.resumeFrom !== undefined ? { resumeFrom: options.resumeFrom } : {}),
    wantsPresence: options.presence ?? true,
  });
  const result: ResultOf<'login'> = {
    username,
    resumeFrom: started.resumeFrom,
    lastSeq: started.lastSeq,
    offlineCount: started.offlineCount,
    profile,
  };
  if (options.remember) {
    const { token, expiresAt } = await services.accounts.issueToken(username);
    result.token = token;
    result.tokenExpiresAt = expiresAt;
    client.token = token;
  }
  ctx.afterReply(() => started.session.catchUp());
  return result;
}

function guard(ctx: CommandContext): void {
  if (ctx.client.session) throw new ProtocolError(ErrorCode.ALREADY_AUTHENTICATED, `You are already signed in as ${ctx.client.session.username}`);
  if (ctx.client.signingIn) throw new ProtocolError(ErrorCode.BAD_REQUEST, 'A sign-in is already in progress on this connection');
}

/**
 * login <username> (password | token) [remember] [resumeFrom]
 * Checked against the sign-in budgets (services/sign-in-budget.ts) before any store or hash work.
 */
export const login: CommandSpec<'login'> = {
  needsAuth: false,
  async handle(ctx, cmd: CommandOf<'login'>) {
    guard(ctx);
    if ((cmd.password === undefined) === (cmd.token === undefined)) {
      throw new ProtocolError(ErrorCode.BAD_REQUEST, 'login: give either a password or a token');
    }
    ctx.client.signingIn = true;
    const { metrics, audit } = ctx.services;
    const { connection } = ctx.client;
    const who = { username: cmd.username, address: connection.remoteAddress };
    const detail = `${connection.kind}, ${cmd.token !== undefined ? 'token' : 'password'}`;
    try {
      return await ctx.services.signInBudget.attempt(ctx.client.connection.address, async () => {
        let username: string;
        try {
          // The name is matched in any case; the session uses the registered spelling.
          if (cmd.token !== undefined) username = await ctx.services.accounts.verifyToken(cmd.username, cmd.token);
          else username = await ctx.services.accounts.verify(cmd.username, cmd.password!);
        } catch (err) {
          const locked = err instanceof ProtocolError && err.code === ErrorCode.ACCOUNT_LOCKED && !(err instanceof LockoutError);
          metrics.signIns.inc({ result: locked ? 'locked' : 'failed' });
          await audit.record({ action: locked ? 'sign-in-refused' : 'sign-in-failed', ...who, detail: locked ? `${detail}, account locked` : detail });
          if (err instanceof LockoutError) await audit.record({ action: 'lockout', ...who, detail: err.message });
          throw err;
        }
        metrics.signIns.inc({ result: 'ok' });
        // Not awaited: a good sign-in should not wait for its log line (failures do, which also slows guessing).
        void audit.record({ action: 'sign-in', actor: username, ...who, username, detail });
        if (cmd.token !== undefined) {
          // Signing in with a token keeps using it; "remember" would only add a second one.
          ctx.client.token = cmd.token;
          return await signIn(ctx, username, { ...cmd, remember: false });
        }
        return await signIn(ctx, username, cmd);
      });
    } finally {
      ctx.client.signingIn = false;
    }
  },
};

/** register <username> <password> — only with --allow-register */
export const register: CommandSpec<'register'> = {
  needsAuth: false,
  async handle(ctx, cmd) {
    guard(ctx);
    if (!ctx.services.config.allowRegister) {
      throw new ProtocolError(ErrorCode.REGISTRATION_DISABLED, 'This server does not allow registration. Ask an administrator for an account.');
    }
    ctx.client.signingIn = true;
    try {
      return await ctx.services.signInBudget.attempt(ctx.client.connection.address, async () => {
        await ctx.services.accounts.create(cmd.username, cmd.password);
        await ctx.services.audit.record({
          action: 'registered',
          actor: cmd.username,
          username: cmd.username,
          address: ctx.client.connection.remoteAddress,
          detail: ctx.client.connection.kind,
        });
        return await signIn(ctx, cmd.username, cmd);
      });
    } finally {
      ctx.client.signingIn = false;
    }
  },
};

/** logout — ends the session and revokes its sign-in token; the connection closes after the reply. */
export const logout: CommandSpec<'logout'> = {
  needsAuth: true,
  async handle(ctx) {
    const token = ctx.client.token;
    ctx.client.token = null;
    if (token) await ctx.services.accounts.revokeToken(token);
    await ctx.services.sessions.end(ctx.client, 'logout');
    ctx.afterReply(() => ctx.client.connection.close(CloseReason.logout));
    return {};
  },
};
