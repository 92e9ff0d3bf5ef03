// The admin CLI's operations (`npm run server -- users|sessions|groups|audit ...`).
// They work on the store directly, while the server runs or not: the SQLite
// file a running node also uses, or the cluster's PostgreSQL. What a running
// node must act on (end a session, tell members a group is gone) is left as a
// signal in the store, which every node polls (ops/control.ts). Each operation
// returns the lines to print; failures are AdminError with a clear message.
import type { AccountService } from '../services/accounts';
import { ADMIN_LOCK_UNTIL } from '../services/accounts';
import { AUDIT_ACTIONS, type AuditService } from '../services/audit';
import type { AuditEntry, AuditQuery, GroupRecord, LiveSession, Store, UserSummary } from '../store/store';
import { POLL_MS, REPORT_STALE_MS } from './control';

/** A refusal to print as `error: <message>` (exit status 2). */
export class AdminError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminError';
  }
}

export interface AdminContext {
  store: Store;
  accounts: AccountService;
  audit: AuditService;
  /** Who runs the command, for the audit log: `admin:<OS user>`. */
  actor: string;
  now: () => number;
  /** Print JSON (one object per line) instead of a table. */
  json: boolean;
}

function time(ms: number | null): string {
  return ms === null ? 'never' : `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** Columns padded to their widest cell. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function lockText(lockedUntil: number | null, now: number): string {
  if (lockedUntil === null || lockedUntil <= now) return '';
  if (lockedUntil >= ADMIN_LOCK_UNTIL) return 'locked by an administrator';
  return `locked for ${Math.ceil((lockedUntil - now) / 1000)} s (failed sign-ins)`;
}

async function liveSessions(ctx: AdminContext): Promise<LiveSession[]> {
  return ctx.store.admin.liveSessions(ctx.now() - REPORT_STALE_MS);
}

/** The registered spelling of a user name typed in any case (names are matched by canonical form). */
async function registered(ctx: AdminContext, typed: string): Promise<string> {
  const user = await ctx.store.accounts.getUser(typed);
  if (!user) throw new AdminError(`No user "${typed}".`);
  return user.username;
}

/** Asks the running nodes to end `username`'s session; they poll within about a second. */
async function endLiveSession(ctx: AdminContext, username: string, reason: string): Promise<boolean> {
  const online = (await liveSessions(ctx)).some((s) => s.username === username);
  await ctx.store.admin.postSignal('end-session', username, reason, ctx.now());
  return online;
}

const ended = (wasOnline: boolean, user: string) =>
  wasOnline ? `The running server disconnects ${user} within ${Math.ceil(POLL_MS / 1000)} s.` : `${user} was not signed in.`;

export async function listUsers(ctx: AdminContext): Promise<string[]> {
  const [users, sessions] = await Promise.all([ctx.store.admin.listUsers(), liveSessions(ctx)]);
  const online = new Map(sessions.map((s) => [s.username, s]));
  const now = ctx.now();
  if (ctx.json) {
    return users.map((u: UserSummary) => {
      const s = online.get(u.username);
      const locked = u.lockedUntil !== null && u.lockedUntil > now;
      return JSON.stringify({
        username: u.username,
        createdAt: u.createdAt,
        lastLoginAt: u.lastLoginAt,
        locked,
        lockedUntil: locked ? (u.lockedUntil! >= ADMIN_LOCK_UNTIL ? 'admin' : u.lockedUntil) : null,
        online: s ? { transport: s.transport, address: s.address, since: s.since } : null,
      });
    });
  }
  if (users.length === 0) return ['No users yet. Add one with: users add NAME'];
  return table(
    ['USER', 'CREATED', 'LAST SIGN-IN', 'STATE'],
    users.map((u) => {
      const s = online.get(u.username);
      const state = [s ? `online (${s.transport} from ${s.address})` : '', lockText(u.lockedUntil, now)].filter(Boolean).join('; ');
      return [u.username, time(u.createdAt), time(u.lastLoginAt), state || '-'];
    }),
  );
}

/**
 * Asks for the new password of the account (named as registered); called only once the name is
 * known to be fine, so nobody types one in vain.
 */
export type AskPassword = (username: string) => Promise<string>;

export async function addUser(ctx: AdminContext, username: string, askPassword: AskPassword): Promise<string[]> {
  // Invalid, reserved, or a user's or a group's name in any case: refused before a password is asked for.
  await ctx.accounts.assertNameAvailable(username);
  await ctx.accounts.create(username, await askPassword(username));
  await ctx.audit.record({ action: 'user-added', actor: ctx.actor, username });
  return [`User ${username} created.`];
}

export async function setPassword(ctx: AdminContext, username: string, askPassword: AskPassword): Promise<string[]> {
  username = await registered(ctx, username);
  await ctx.accounts.setPassword(username, await askPassword(username));
  await ctx.audit.record({ action: 'password-changed', actor: ctx.actor, username });
  const online = await endLiveSession(ctx, username, 'your password was changed by an administrator');
  return [`Password of ${username} changed; their saved sign-ins are revoked.`, ...(online ? [ended(true, username)] : [])];
}

export async function lockUser(ctx: AdminContext, username: string): Promise<string[]> {
  username = await registered(ctx, username);
  if (!(await ctx.store.admin.setLock(username, ADMIN_LOCK_UNTIL))) throw new AdminError(`No user "${username}".`);
  await ctx.store.accounts.revokeTokensOf(username);
  await ctx.audit.record({ action: 'user-locked', actor: ctx.actor, username });
  const online = await endLiveSession(ctx, username, 'your account was locked by an administrator');
  return [`${username} is locked until "users unlock ${username}"; their saved sign-ins are revoked.`, ended(online, username)];
}

export async function unlockUser(ctx: AdminContext, username: string): Promise<string[]> {
  username = await registered(ctx, username);
  await ctx.store.accounts.clearFailedLogins(username);
  await ctx.audit.record({ action: 'user-unlocked', actor: ctx.actor, username });
  return [`${username} is unlocked (an administrator's lock and failed sign-ins both cleared).`];
}

export async function deleteUser(ctx: AdminContext, username: string): Promise<string[]> {
  username = await registered(ctx, username);
  if (!(await ctx.store.admin.deleteUser(username))) throw new AdminError(`No user "${username}".`);
  await ctx.audit.record({ action: 'user-deleted', actor: ctx.actor, username });
  const online = await endLiveSession(ctx, username, 'your account was deleted');
  return [
    `User ${username} deleted, with their saved sign-ins, blocks, group memberships and mailbox. Messages they sent stay in their recipients' history.`,
    ...(online ? [ended(true, username)] : []),
  ];
}

export async function renameUser(ctx: AdminContext, from: string, to: string, valid: (name: string) => boolean): Promise<string[]> {
  if (!valid(to)) throw new AdminError(`Invalid username "${to.slice(0, 40)}": use 1-32 letters, digits, "_", "." or "-".`);
  from = await registered(ctx, from);
  const result = await ctx.store.admin.renameUser(from, to);
  if (result === 'unknown') throw new AdminError(`No user "${from}".`);
  if (result === 'taken') throw new AdminError(`The name "${to}" is taken by a user or a group.`);
  await ctx.audit.record({ action: 'user-renamed', actor: ctx.actor, username: from, detail: `renamed to ${to}` });
  // A session signed in under the old name must not go on under it.
  const online = await endLiveSession(ctx, from, `your account was renamed to ${to}; sign in again as ${to}`);
  return [`${from} is now ${to} (account, groups, blocks, messages and mailbox).`, ...(online ? [ended(true, from)] : [])];
}

export async function listSessions(ctx: AdminContext): Promise<string[]> {
  const sessions = await liveSessions(ctx);
  if (ctx.json) return sessions.map((s) => JSON.stringify(s));
  if (sessions.length === 0) return ['Nobody is signed in (as reported by the running nodes).'];
  return table(
    ['USER', 'TRANSPORT', 'ADDRESS', 'SINCE', 'NODE'],
    sessions.map((s) => [s.username, s.transport, s.address, time(s.since), s.node.slice(0, 8)]),
  );
}

export async function endSession(ctx: AdminContext, username: string): Promise<string[]> {
  username = await registered(ctx, username);
  await ctx.store.accounts.revokeTokensOf(username);
  await ctx.audit.record({ action: 'session-ended', actor: ctx.actor, username });
  const online = await endLiveSession(ctx, username, 'your session was ended by an administrator');
  return [`Saved sign-ins of ${username} revoked. ${ended(online, username)}`];
}

export async function listGroups(ctx: AdminContext): Promise<string[]> {
  const groups = await ctx.store.admin.listGroups();
  if (ctx.json) return groups.map((g: GroupRecord) => JSON.stringify(g));
  if (groups.length === 0) return ['No groups.'];
  return table(
    ['GROUP', 'OWNER', 'CREATED', 'MEMBERS'],
    groups.map((g) => [g.name, g.owner, time(g.createdAt), `${g.members.length}: ${g.members.join(', ')}`]),
  );
}

export async function deleteGroup(ctx: AdminContext, name: string): Promise<string[]> {
  const group = await ctx.store.admin.deleteGroup(name);
  if (!group) throw new AdminError(`No group "${name}".`);
  await ctx.store.admin.postSignal('group-deleted', name, group.members.join(','), ctx.now());
  await ctx.audit.record({ action: 'group-deleted', actor: ctx.actor, detail: `${name} (members: ${group.members.join(', ')})` });
  return [`Group ${name} deleted (${group.members.length} members are told). Its messages stay in their history.`];
}

/** Parses --since: an ISO date/time, or a duration back from now (30m, 12h, 7d). */
export function parseSince(value: string, now: number): number {
  const duration = /^(\d+)\s*([smhd])$/.exec(value);
  if (duration) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[duration[2] as 's' | 'm' | 'h' | 'd'];
    return now - Number(duration[1]) * unit;
  }
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new AdminError(`--since ${value}: give a date (2026-11-30, 2026-11-30T14:00Z) or a duration (30m, 12h, 7d)`);
  return at;
}

export async function readAudit(ctx: AdminContext, query: AuditQuery): Promise<string[]> {
  // A misspelt action would otherwise read as "nothing happened".
  if (query.action !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(query.action)) {
    throw new AdminError(`--action ${query.action}: not an audit action; one of ${AUDIT_ACTIONS.join(', ')}`);
  }
  const entries = await ctx.store.admin.readAudit(query);
  if (ctx.json) return entries.map((e: AuditEntry) => JSON.stringify(e));
  if (entries.length === 0) return ['No audit entries match.'];
  return table(
    ['ID', 'TIME', 'ACTION', 'USER', 'ACTOR', 'ADDRESS', 'DETAIL'],
    entries.map((e) => [String(e.id), time(e.at), e.action, e.username ?? '-', e.actor ?? '-', e.address ?? '-', e.detail ?? '']),
  );
}
