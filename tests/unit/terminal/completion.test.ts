// Tab completion of the terminal client: command words from the protocol's text
// syntaxes, then user and group names where the command's usage asks for them.
import { describe, expect, it } from 'vitest';
import { complete } from '../../../server/terminal/completion';
import { KnownNames } from '../../../server/terminal/names';

function names(): KnownNames {
  const known = new KnownNames('alice');
  known.learnResult('whoelse', { users: ['bob', 'bella', 'carol'] });
  known.learnResult('grouplist', {
    groups: [
      { name: 'team', owner: 'bob', members: ['alice', 'bob'], createdAt: 0 },
      { name: 'tennis', owner: 'alice', members: ['alice'], createdAt: 0 },
    ],
  });
  return known;
}

describe('completion', () => {
  it('completes the first word from every command of the text language', () => {
    expect(complete('', names())[0]).toEqual(
      expect.arrayContaining([
        'message',
        'broadcast',
        'whoelse',
        'wholasthr',
        'block',
        'unblock',
        'ping',
        'offline',
        'create',
        'grouplist',
        'logout',
        'help',
        'history',
      ]),
    );
    expect(complete('who', names())).toEqual([['whoelse', 'wholasthr'], 'who']);
    expect(complete('gr', names())).toEqual([['grouplist '], 'gr']);
    expect(complete('MES', names())).toEqual([['message '], 'MES']);
    expect(complete('zzz', names())).toEqual([[], 'zzz']);
  });

  it('offers the next word of a multi-word command and the names its usage asks for', () => {
    // `message <user> <text>` and `message group <name> <text>` both start with "message".
    expect(complete('message ', names())[0]).toEqual(['bella', 'bob', 'carol', 'group']);
    expect(complete('message b', names())).toEqual([['bella', 'bob'], 'b']);
    expect(complete('message gr', names())).toEqual([['group '], 'gr']);
    expect(complete('message group t', names())).toEqual([['team', 'tennis'], 't']);
    expect(complete('message group tea', names())).toEqual([['team '], 'tea']);
    expect(complete('create gr', names())).toEqual([['group '], 'gr']);
  });

  it('completes users for <user> and every <member>, groups for <name>, both for <user|group>, nothing for <text>', () => {
    expect(complete('block c', names())).toEqual([['carol '], 'c']);
    expect(complete('ping  ', names())[0]).toEqual(['bella', 'bob', 'carol']);
    expect(complete('add group team c', names())).toEqual([['carol '], 'c']);
    expect(complete('add group team carol b', names())).toEqual([['bella', 'bob'], 'b']);
    expect(complete('leave group te', names())).toEqual([['team', 'tennis'], 'te']);
    expect(complete('history t', names())).toEqual([['team', 'tennis'], 't']);
    expect(complete('history b', names())).toEqual([['bella', 'bob'], 'b']);
    expect(complete('message bob h', names())).toEqual([[], 'h']);
    expect(complete('whoelse b', names())).toEqual([[], 'b']);
  });
});
