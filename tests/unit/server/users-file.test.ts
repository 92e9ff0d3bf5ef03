// The seed's credentials file: `username password` per line; errors name the line.
import { describe, expect, it } from 'vitest';
import { parseUsersFile } from '../../../server/services/accounts';

describe('parseUsersFile', () => {
  it('reads users, skipping blank lines and comments, with CRLF or LF', () => {
    const text = '# team\r\nalice pw1\r\n\r\n  bob   pw2  \n\t\ncarol p#3\n';
    expect(parseUsersFile(text)).toEqual([
      { username: 'alice', password: 'pw1', line: 2 },
      { username: 'bob', password: 'pw2', line: 4 },
      { username: 'carol', password: 'p#3', line: 6 },
    ]);
    expect(parseUsersFile('')).toEqual([]);
  });

  it.each([
    ['alice pw\nbob\n', 'users.txt:2: expected "username password"'],
    ['alice pw\n\nbob pw extra\n', 'users.txt:3: expected "username password"'],
    ['# c\nbad!name pw\n', 'users.txt:2: invalid username "bad!name"'],
    ['alice a\nbob b\nalice c\n', 'users.txt:3: duplicate user "alice"'],
    ['alice a\nbob b\nALICE c\n', 'users.txt:3: duplicate user "ALICE"'],
  ])('%j → %s', (text, message) => {
    expect(() => parseUsersFile(text, 'users.txt')).toThrow(message);
  });
});
