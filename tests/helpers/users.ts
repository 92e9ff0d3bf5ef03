// The one table of test accounts every suite signs in with: a name's password
// is always "<name>-pw". Suites that need more people build them with accounts().
import { writeFile } from 'node:fs/promises';

/** The password of test account `name`. */
export function passwordOf(name: string): string {
  return `${name}-pw`;
}

/** A users table (name → password) for `names`. */
export function accounts<N extends string>(...names: N[]): Record<N, string> {
  return Object.fromEntries(names.map((name) => [name, passwordOf(name)])) as Record<N, string>;
}

/** The default accounts of every test server, e2e and Electron suites included. */
export const USERS = accounts('alice', 'bob', 'carol', 'dave', 'erin');

/** Writes `users` in the server's credentials-file format (`username password` per line). */
export async function writeUsersFile(file: string, users: Readonly<Record<string, string>> = USERS): Promise<void> {
  await writeFile(
    file,
    Object.entries(users)
      .map(([name, password]) => `${name} ${password}\n`)
      .join(''),
  );
}
