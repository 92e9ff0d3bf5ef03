// Sign-in, registration and sign-out.
import { CloseReason } from '../connection';
import { ErrorCode, ProtocolError, type CommandOf, type ResultOf } from '../protocol';
import { LockoutError, TokenReuseError } from '../services/accounts';
import type { CommandContext, CommandSpec } from './types';

async function signIn(
  ctx: CommandContext,
  username: string,
  options: { remember?: boolean; resumeFrom?: number; presence?: boolean; token?: string },
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
  if (options.token !== undefined) {
    // Rotated only once the session holds: a refused sign-in (ALREADY_SIGNED_IN)
    // leaves the client's token as it was, and it still works next time.
    let rotated: { token: string; expiresAt: number };
    try {
      rotated = await services.accounts.rotateToken(options.token);
    } catch (err) {
      // The token went between the check and now (logout elsewhere, expiry, its grace ended).
      await services.sessions.end(client, 'token revoked');
      throw err;
    }
    result.token = rotated.token;
    result.tokenExpiresAt = rotated.expiresAt;
    client.token = rotated.token;
  } else if (options.remember) {
    const { token, expiresAt } = await services.accounts.issueToken(username);
    result.token = token;
    result.tokenExpiresAt = expiresAt;
    client.token = token;
  }
  ctx.afterReply(() => started.session.catchUp());
  return result;
}

/** Counts and audits a refused sign-in; a reused token also gets its own `token-reuse` entry. */
async function recordFailure(ctx: CommandContext, err: unknown, who: { username: string; address: string | undefined }, detail: string): Promise<void> {
  const { metrics, audit } = ctx.services;
  const locked = err instanceof ProtocolError && err.code === ErrorCode.ACCOUNT_LOCKED && !(err instanceof LockoutError);
  metrics.signIns.inc({ result: locked ? 'locked' : 'failed' });
  await audit.record({ action: locked ? 'sign-in-refused' : 'sign-in-failed', ...who, detail: locked ? `${detail}, account locked` : detail });
  if (err instanceof LockoutError) await audit.record({ action: 'lockout', ...who, detail: err.message });
  if (err instanceof TokenReuseError) {
    await audit.record({
      action: 'token-reuse',
      ...who,
      username: err.owner,
      detail: `a replaced sign-in token was used after its grace; its family was revoked (${err.revoked} token${err.revoked === 1 ? '' : 's'})`,
    });
  }
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
    // The schema made sure it has a password or a token, not both.
    guard(ctx);
    ctx.client.signingIn = true;
    const { metrics, audit } = ctx.services;
    const { connection } = ctx.client;
    const who = { username: cmd.username, address: connection.remoteAddress };
    const detail = `${connection.kind}, ${cmd.token !== undefined ? 'token' : 'password'}`;
    try {
      return await ctx.services.signInBudget.attempt(ctx.client.connection.address, async (hashAs) => {
        let username: string;
        try {
          // The name is matched in any case; the session uses the registered spelling.
          if (cmd.token !== undefined) username = await ctx.services.accounts.verifyToken(cmd.username, cmd.token);
          else username = await ctx.services.accounts.verify(cmd.username, cmd.password!, hashAs);
        } catch (err) {
          await recordFailure(ctx, err, who, detail);
          throw err;
        }
        metrics.signIns.inc({ result: 'ok' });
        // Not awaited: a good sign-in should not wait for its log line (failures do, which also slows guessing).
        void audit.record({ action: 'sign-in', actor: username, ...who, username, detail });
        if (cmd.token === undefined) return await signIn(ctx, username, cmd);
        // A token sign-in always answers the token that replaces it; "remember" adds nothing.
        try {
          return await signIn(ctx, username, { ...cmd, remember: false, token: cmd.token });
        } catch (err) {
          if (err instanceof TokenReuseError) await recordFailure(ctx, err, who, detail);
          throw err;
        }
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
      return await ctx.services.signInBudget.attempt(ctx.client.connection.address, async (hashAs) => {
        await ctx.services.accounts.create(cmd.username, cmd.password, hashAs);
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

/** logout — ends the session and revokes its sign-in token's family; the connection closes after the reply. */
export const logout: CommandSpec<'logout'> = {
  needsAuth: true,
  async handle(ctx) {
    const token = ctx.client.token;
    ctx.client.token = null;
    if (token) await ctx.services.accounts.revokeTokenFamily(token);
    await ctx.services.sessions.end(ctx.client, 'logout');
    ctx.afterReply(() => ctx.client.connection.close(CloseReason.logout));
    return {};
  },
};
