// What a node checks about its accounts when it starts: the --users file's
// permissions, importing it, and whether anyone can sign in at all. Each finding
// is logged and returned as a line for the terminal (the CLI prints them).
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerConfig } from '../config';
import type { Logger } from '../log';
import type { AccountService } from '../services/accounts';
import type { Store } from '../store/store';
import { importUsersAtStart } from './users-import';

/** A finding worth showing to whoever started the server. */
export interface StartupNotice {
  level: 'info' | 'warn';
  /** Stable name, for tests and log searches. */
  code: 'USERS_FILE_READABLE' | 'NO_ACCOUNTS';
  text: string;
}

/** Names the flag when the credentials file is missing or not a file (a bare ENOENT/EISDIR says neither). */
async function usersFileStat(file: string): Promise<Stats> {
  let found: Stats;
  try {
    found = await stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`--users ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err });
  }
  if (!found.isFile()) throw new Error(`--users ${file}: not a file`);
  return found;
}

/** Warns when the credentials file (passwords in clear) is readable by group or others. */
async function usersFilePermissions(file: string): Promise<StartupNotice | null> {
  const { mode } = await usersFileStat(file);
  if (process.platform === 'win32') return null;
  if ((mode & 0o044) === 0) return null;
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  return {
    level: 'warn',
    code: 'USERS_FILE_READABLE',
    text: `${file} holds passwords in clear and is readable by other users (mode ${octal}). Restrict it: chmod 600 ${file}`,
  };
}

/** How to add the first account, in the words of this node's configuration. */
function noAccounts(config: ServerConfig): StartupNotice {
  // A schema of its own must be named too: adduser would otherwise add the account to `public`, where this node never looks.
  const schema = config.postgresSchema === 'public' ? '' : ` --postgres-schema ${config.postgresSchema}`;
  const target = config.store === 'sqlite' ? ` --data ${config.dataDir}` : config.store === 'postgres' ? `${schema} (with the same --postgres URL)` : '';
  // The container image sets CHAT_CLI_NAME=chat-server (its command on PATH).
  const adduser = `${process.env.CHAT_CLI_NAME || 'npm run server --'} adduser NAME${target}`;
  if (config.store === 'memory') {
    // adduser would write to a store this process cannot see.
    return {
      level: 'warn',
      code: 'NO_ACCOUNTS',
      text: 'No accounts yet (memory store): import some with --users FILE, or let clients register with --allow-register.',
    };
  }
  if (config.allowRegister) {
    return { level: 'info', code: 'NO_ACCOUNTS', text: `No accounts yet. Clients can create them (--allow-register is on), or add one with: ${adduser}` };
  }
  return {
    level: 'warn',
    code: 'NO_ACCOUNTS',
    text:
      `No accounts yet, so nobody can sign in. Add one with: ${adduser}` +
      ' — or import a file of "username password" lines with --users FILE, or let clients register with --allow-register.',
  };
}

/**
 * Runs the account checks of a starting node: warns about a readable --users
 * file, imports it, then tells how to add an account when there is none.
 * Throws what the import throws (a malformed line, an unreadable file).
 */
export async function prepareAccounts(config: ServerConfig, store: Store, accounts: AccountService, log: Logger): Promise<StartupNotice[]> {
  const notices: StartupNotice[] = [];
  if (config.usersFile) {
    const exposed = await usersFilePermissions(config.usersFile);
    if (exposed) notices.push(exposed);
    const counts = await importUsersAtStart(accounts, store, config.usersFile, config.dataDir, log);
    log.info({ file: config.usersFile, ...counts }, 'imported users');
  }
  if (!(await store.accounts.hasUsers())) notices.push(noAccounts(config));
  for (const notice of notices) log[notice.level]({ notice: notice.code }, notice.text);
  return notices;
}
