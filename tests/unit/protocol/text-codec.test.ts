// The text command language: every command, malformed variants, properties
// (no exception but ProtocolError; message text round-trips) and rendering.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COMMAND_TYPES,
  ProtocolError,
  TEXT_SYNTAX,
  TEXT_USAGES,
  formatClock,
  formatDelivery,
  formatError,
  formatEvent,
  formatHistoryLine,
  formatResult,
  formatSize,
  oneLine,
  parseTextCommand,
  type ChatMessage,
  type Command,
  type EventFrame,
  type SearchConversation,
} from '../../../server/protocol';

/** The error a line produces, or fails the test if it parses. */
function errorOf(line: string): ProtocolError {
  try {
    parseTextCommand(line);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error(`"${line}" parsed`);
}

const time = () => '12:34';

describe('parseTextCommand: every command', () => {
  const cases: [string, Command][] = [
    ['message bob hi there', { type: 'message', to: 'bob', text: 'hi there' }],
    // Runs of spaces between the words are one separator; spacing inside the text is kept.
    ['MESSAGE bob  two  spaces', { type: 'message', to: 'bob', text: 'two  spaces' }],
    ['message group team   hi  all', { type: 'message-group', group: 'team', text: 'hi  all' }],
    ['edit 12    fixed  text', { type: 'edit', messageId: 12, text: 'fixed  text' }],
    ['  message\tbob tabbed  ', { type: 'message', to: 'bob', text: 'tabbed' }],
    ['message group team hello all', { type: 'message-group', group: 'team', text: 'hello all' }],
    ['message GROUP team x', { type: 'message-group', group: 'team', text: 'x' }],
    ['broadcast   hello   world', { type: 'broadcast', text: 'hello   world' }],
    // Files the sender uploaded over HTTP: trailing `+file <id>` pairs, in order; the text may then be empty.
    ['message bob look +file 3P8vBwjTQFyHJ69P5fzfQw', { type: 'message', to: 'bob', text: 'look', attachments: ['3P8vBwjTQFyHJ69P5fzfQw'] }],
    [
      'message bob +file AAAAAAAAAAAAAAAAAAAAAA  +file BBBBBBBBBBBBBBBBBBBBBB ',
      { type: 'message', to: 'bob', text: '', attachments: ['AAAAAAAAAAAAAAAAAAAAAA', 'BBBBBBBBBBBBBBBBBBBBBB'] },
    ],
    ['message bob a +file in the middle stays text', { type: 'message', to: 'bob', text: 'a +file in the middle stays text' }],
    ['message group team +file AAAAAAAAAAAAAAAAAAAAAA', { type: 'message-group', group: 'team', text: '', attachments: ['AAAAAAAAAAAAAAAAAAAAAA'] }],
    ['broadcast news +file AAAAAAAAAAAAAAAAAAAAAA', { type: 'broadcast', text: 'news', attachments: ['AAAAAAAAAAAAAAAAAAAAAA'] }],
    ['reply 17 me  too', { type: 'reply', messageId: 17, text: 'me  too' }],
    ['edit 17 fixed text', { type: 'edit', messageId: 17, text: 'fixed text' }],
    ['delete 17', { type: 'delete', messageId: 17 }],
    ['react 17 👍', { type: 'react', messageId: 17, emoji: '👍' }],
    ['whoelse', { type: 'whoelse' }],
    ['wholasthr', { type: 'wholasthr' }],
    ['block bob', { type: 'block', user: 'bob' }],
    ['unblock bob', { type: 'unblock', user: 'bob' }],
    ['blocklist', { type: 'blocklist' }],
    ['ping carol', { type: 'ping', user: 'carol' }],
    ['offline', { type: 'offline' }],
    ['watch', { type: 'watch', users: [] }],
    ['watch Bob carol', { type: 'watch', users: ['Bob', 'carol'] }],
    ['users', { type: 'users' }],
    ['users Ali', { type: 'users', query: 'Ali' }],
    ['profile', { type: 'profile' }],
    ['profile bob', { type: 'profile', user: 'bob' }],
    ['PROFILE @name', { type: 'profile', user: 'name' }],
    ['profile name  Alice   Liddell ', { type: 'profile', displayName: 'Alice   Liddell' }],
    ['profile NAME', { type: 'profile', displayName: null }],
    ['profile avatar 3P8vBwjTQFyHJ69P5fzfQw', { type: 'profile', avatar: '3P8vBwjTQFyHJ69P5fzfQw' }],
    ['profile avatar', { type: 'profile', avatar: null }],
    ['profiles bob carol', { type: 'profiles', users: ['bob', 'carol'] }],
    ['typing bob', { type: 'typing', with: 'bob' }],
    ['typing group team', { type: 'typing', with: 'team', group: true }],
    ['TYPING GROUP team', { type: 'typing', with: 'team', group: true }],
    ['create group team bob carol', { type: 'create-group', group: 'team', members: ['bob', 'carol'] }],
    ['create group solo', { type: 'create-group', group: 'solo', members: [] }],
    ['add group team dave', { type: 'group-add', group: 'team', members: ['dave'] }],
    ['remove group team dave erin', { type: 'group-remove', group: 'team', members: ['dave', 'erin'] }],
    ['leave group team', { type: 'group-leave', group: 'team' }],
    ['grouplist', { type: 'grouplist' }],
    ['history bob', { type: 'history', with: 'bob' }],
    ['history bob 42', { type: 'history', with: 'bob', before: 42 }],
    ['history group team', { type: 'history', with: 'team', group: true }],
    ['history group team 7', { type: 'history', with: 'team', group: true, before: 7 }],
    ['history everyone', { type: 'history', everyone: true }],
    ['history everyone 9', { type: 'history', everyone: true, before: 9 }],
    ['conversations', { type: 'conversations' }],
    ['conversations 12', { type: 'conversations', before: 12 }],
    ['read bob 5', { type: 'read', with: 'bob', messageId: 5 }],
    ['read group team 6', { type: 'read', with: 'team', group: true, messageId: 6 }],
    ['READ EVERYONE 7', { type: 'read', everyone: true, messageId: 7 }],
    ['settings', { type: 'settings' }],
    ['settings receipts off', { type: 'settings', readReceipts: false }],
    ['settings Receipts ON', { type: 'settings', readReceipts: true }],
    ['search rocket launch', { type: 'search', query: 'rocket launch' }],
    ['SEARCH   "foo AND (bar  ', { type: 'search', query: '"foo AND (bar' }],
    ['ack 17', { type: 'ack', seq: 17 }],
    ['ack 0', { type: 'ack', seq: 0 }],
    ['file-token', { type: 'file-token' }],
    ['logout', { type: 'logout' }],
    ['help', { type: 'help' }],
    ['HELP\r', { type: 'help' }],
  ];
  it.each(cases)('%j', (line, expected) => {
    expect(parseTextCommand(line)).toEqual(expected);
  });

  it('covers every command type except sign-in (done by prompts on TCP)', () => {
    const covered = new Set(cases.map(([, c]) => c.type));
    expect(COMMAND_TYPES.filter((t) => !covered.has(t)).sort()).toEqual(['login', 'register']);
  });
});

describe('help', () => {
  it('lists every typed command in the documented order', () => {
    expect(TEXT_USAGES).toEqual([
      'message <user> <text> [+file <id>]...',
      'message group <name> <text> [+file <id>]...',
      'broadcast <text> [+file <id>]...',
      'reply <message-id> <text>',
      'edit <message-id> <text>',
      'delete <message-id>',
      'react <message-id> <emoji>',
      'whoelse',
      'wholasthr',
      'block <user>',
      'unblock <user>',
      'blocklist',
      'ping <user>',
      'watch [user ...]',
      'users [query]',
      'profile | profile <user> | profile name [display name] | profile avatar [file-id]',
      'profiles <user> ...',
      'typing <user> | typing group <name>',
      'offline',
      'create group <name> <member> ...',
      'add group <name> <member> ...',
      'remove group <name> <member> ...',
      'leave group <name>',
      'grouplist',
      'history <user|group> [before-id] | history everyone [before-id]',
      'conversations [before-id]',
      'read <user> <id> | read group <name> <id> | read everyone <id>',
      'settings | settings receipts <on|off>',
      'search <words>',
      'ack <seq>',
      'file-token',
      'logout',
      'help',
    ]);
    expect(Object.values(TEXT_SYNTAX)).toEqual(TEXT_USAGES);
  });
});

describe('parseTextCommand: malformed lines', () => {
  const usage: [string, string][] = [
    ['message', 'message'],
    ['message bob', 'message'],
    ['message bob    ', 'message'],
    ['message group', 'message group'],
    ['message group team', 'message group'],
    ['broadcast', 'broadcast'],
    ['broadcast    ', 'broadcast'],
    ['whoelse now', 'whoelse'],
    ['logout please', 'logout'],
    ['block', 'block'],
    ['block a b', 'block'],
    ['ping', 'ping'],
    ['create', 'create group'],
    ['create team bob', 'create group'],
    ['create group', 'create group'],
    ['add group team', 'add group'],
    ['remove group team', 'remove group'],
    ['leave group', 'leave group'],
    ['leave group team extra', 'leave group'],
    ['history', 'history'],
    ['search', 'search'],
    ['search    ', 'search'],
    ['history bob x', 'history'],
    ['history bob 1 2', 'history'],
    ['history bob -1', 'history'],
    ['history bob 1234567890123456', 'history'],
    ['ack', 'ack'],
    ['ack x', 'ack'],
    ['ack 1 2', 'ack'],
    ['ack -5', 'ack'],
    ['users a b', 'users'],
    ['typing', 'typing'],
    ['typing bob carol', 'typing'],
    ['typing group', 'typing'],
    ['typing group team extra', 'typing'],
  ];
  it.each(usage)('%j → BAD_REQUEST with the usage of %s', (line, key) => {
    const err = errorOf(line);
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toBe(`Usage: ${TEXT_SYNTAX[key]}`);
  });

  it.each([
    ['message bad!name hi', /^to: must be 1-32 letters.*\(usage: message <user> <text> \[\+file <id>\]\.\.\.\)$/],
    ['message bob hi +file nope', /^attachments\.0: must be a file id returned by POST \/api\/files/],
    [`message bob ${' +file AAAAAAAAAAAAAAAAAAAAAA'.repeat(2)}`, /^attachments: /],
    [`broadcast ${Array.from({ length: 11 }, (_, i) => ` +file ${String(i).padStart(22, 'A')}`).join('')}`, /^attachments: must name at most 10 files/],
    [`message bob ${'x'.repeat(4001)}`, /^text: must be at most 4000 characters/],
    ['message bob a\0b', /^text: must not contain NUL/],
    ['block -bob', /^user: must be 1-32 letters/],
    ['create group team bad!', /^members\.0: must be 1-32 letters.*\(usage: create group <name> <member> \.\.\.\)$/],
    ['history bob 0', /^before: /],
  ])('%j → BAD_REQUEST naming the field and the syntax', (line, pattern) => {
    const err = errorOf(line);
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toMatch(pattern);
  });

  it('empty, blank and unknown lines', () => {
    expect(errorOf('').code).toBe('BAD_REQUEST');
    expect(errorOf(' \t ').message).toMatch(/^Empty command/);
    const unknown = errorOf('dance with me');
    expect(unknown).toMatchObject({ code: 'UNKNOWN_COMMAND', message: 'Unknown command "dance". Type "help" for the list.' });
    expect(errorOf(`${'v'.repeat(100)} x`).message).toContain(`"${'v'.repeat(40)}"`);
    // JSON verbs are not text verbs.
    expect(errorOf('create-group team').code).toBe('UNKNOWN_COMMAND');
    expect(errorOf('login alice pw').code).toBe('UNKNOWN_COMMAND');
  });
});

describe('parseTextCommand: properties', () => {
  const verbs = ['message', 'group', 'broadcast', 'whoelse', 'block', 'ping', 'create', 'add', 'remove', 'leave', 'history', 'ack', 'help', 'GROUP', ''];
  const word = fc.oneof(fc.constantFrom(...verbs), fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }), fc.nat().map(String));
  const lineFromWords = fc.array(word, { maxLength: 8 }).map((ws) => ws.join(' '));

  it('never throws anything but ProtocolError, and what it returns is a valid command', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), lineFromWords), (line) => {
        try {
          const cmd = parseTextCommand(line);
          expect(COMMAND_TYPES).toContain(cmd.type);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          expect(['BAD_REQUEST', 'UNKNOWN_COMMAND']).toContain(err.code);
        }
      }),
      { numRuns: 2000 },
    );
  });

  // Text a person can type on one line: no control characters, nothing trim() would drop at the ends.
  const text = fc
    .oneof(fc.string({ minLength: 1, maxLength: 300 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 100 }))
    // eslint-disable-next-line no-control-regex
    .filter((t) => t === t.trim() && t.length > 0 && t.length <= 4000 && !/[\u0000-\u001f\u007f]/.test(t) && !/(^| )\+file +\S+$/.test(t));
  const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/).filter((n) => n.toLowerCase() !== 'group');

  it('round-trips message, group message and broadcast text', () => {
    fc.assert(
      fc.property(name, text, (to, t) => {
        expect(parseTextCommand(`message ${to} ${t}`)).toEqual({ type: 'message', to, text: t });
        expect(parseTextCommand(`message group ${to} ${t}`)).toEqual({ type: 'message-group', group: to, text: t });
        expect(parseTextCommand(`broadcast ${t}`)).toEqual({ type: 'broadcast', text: t });
      }),
      { numRuns: 500 },
    );
  });

  it('oneLine never leaves a line break or control character (C0, DEL, C1)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        // eslint-disable-next-line no-control-regex
        expect(oneLine(s)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      }),
    );
  });

  it('oneLine turns each run of control characters into one space and leaves other text as it is', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        // eslint-disable-next-line no-control-regex
        expect(oneLine(s)).toBe(s.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' '));
      }),
    );
  });

  it('formatClock reads the local clock however timestamps come (its answer is kept per minute)', () => {
    const local = (ts: number) => {
      const d = new Date(ts);
      return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    };
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4_102_444_800_000 }), { minLength: 1, maxLength: 20 }), (stamps) => {
        // Neighbours within and across minute boundaries, as well as far-apart stamps.
        for (const ts of stamps.flatMap((t) => [t, t + 1, t - (t % 60_000), t - (t % 60_000) - 1, t + 59_999])) {
          expect(formatClock(ts)).toBe(local(ts));
        }
      }),
    );
  });
});

describe('format functions', () => {
  const msg: ChatMessage = { id: 42, kind: 'private', from: 'alice', to: 'bob', text: 'hi\nthere', ts: 0 };

  it('formatDelivery, formatHistoryLine and formatError render one line each', () => {
    expect(formatDelivery(7, false, msg, time)).toBe('#7 [12:34] alice (private): hi there');
    expect(formatDelivery(8, true, { ...msg, kind: 'group', group: 'team' }, time)).toBe('#8 [12:34] alice (group team, offline): hi there');
    expect(formatDelivery(9, false, { ...msg, kind: 'broadcast' }, time)).toBe('#9 [12:34] alice (broadcast): hi there');
    expect(formatHistoryLine(msg, time)).toBe('42 [12:34] alice: hi there');
    expect(formatError({ code: 'BLOCKED', message: 'a\r\nb' })).toBe('error BLOCKED: a b');
  });

  it('formatResult renders every command result', () => {
    const group = { name: 'team', owner: 'alice', members: ['alice', 'bob'], createdAt: 0 };
    const login = { username: 'alice', resumeFrom: 0, lastSeq: 3, offlineCount: 3 };
    expect(formatResult('login', login)).toEqual(['Welcome, alice! Type "help" for commands.', '3 message(s) arrived while you were offline; they follow.']);
    expect(formatResult('register', { ...login, offlineCount: 0 })).toEqual(['Welcome, alice! Type "help" for commands.']);
    expect(formatResult('logout', {})).toEqual(['Goodbye.']);
    expect(formatResult('message', { message: msg, queued: false })).toEqual(['Sent to bob. (#42)']);
    expect(formatResult('message', { message: msg, queued: true })).toEqual([
      'bob is offline; the message is queued and will be delivered when they sign in. (#42)',
    ]);
    expect(formatResult('broadcast', { message: msg, delivered: 2, blockedBy: 0 })).toEqual(['Broadcast sent to 2 user(s). (#42)']);
    expect(formatResult('broadcast', { message: msg, delivered: 0, blockedBy: 1 })[1]).toBe(
      'Your message could not be delivered to some recipients (1 have blocked you).',
    );
    expect(formatResult('reply', { message: { ...msg, id: 43, replyTo: { id: 42, from: 'bob', text: 'x' } } })).toEqual(['Replied to #42. (#43)']);
    expect(formatResult('edit', { message: msg })).toEqual(['Edited #42.']);
    expect(formatResult('delete', { messageId: 42 })).toEqual(['Deleted #42.']);
    expect(formatResult('react', { messageId: 42, emoji: '👍', added: true, reactions: [] })).toEqual(['Reacted 👍 to #42.']);
    expect(formatResult('react', { messageId: 42, emoji: '👍', added: false, reactions: [] })).toEqual(['Removed 👍 from #42.']);
    expect(formatResult('whoelse', { users: [] })).toEqual(['No one else is online.']);
    expect(formatResult('whoelse', { users: ['a', 'b'] })).toEqual(['Online now (2): a, b']);
    expect(formatResult('wholasthr', { users: [] })).toEqual(['No one else was online in the last hour.']);
    expect(
      formatResult(
        'wholasthr',
        {
          users: [
            { username: 'a', online: true, lastLoginAt: 1 },
            { username: 'b', online: false, lastLoginAt: 1 },
            { username: 'c', online: false, lastLoginAt: null },
          ],
        },
        time,
      ),
    ).toEqual(['Online in the last hour (3): a (online), b (last login 12:34), c (last login never)']);
    expect(formatResult('conversations', { conversations: [], hasMore: false })).toEqual(['No conversations.']);
    expect(
      formatResult(
        'conversations',
        {
          conversations: [
            { kind: 'direct', with: 'alice', lastMessage: msg, at: msg.ts, read: 0, unread: 2 },
            { kind: 'everyone', lastMessage: null, at: null, read: 0, unread: 0 },
          ],
          hasMore: true,
        },
        time,
      ),
    ).toEqual(['Conversations (2):', `  alice (2 unread): #${msg.id} [12:34] alice: hi there`, '  everyone (read): no messages']);
    // A page with more after it ends with the command that reads the next one.
    expect(
      formatResult(
        'conversations',
        { conversations: [{ kind: 'group', with: 'team', lastMessage: msg, at: msg.ts, read: msg.id, unread: 0 }], hasMore: true },
        time,
      ),
    ).toEqual(['Conversations (1):', `  group team (read): #${msg.id} [12:34] alice: hi there`, `(older conversations: conversations ${msg.id})`]);
    const person = { displayName: null, avatarUrl: null };
    expect(
      formatResult(
        'users',
        {
          users: [
            { username: 'alice', online: true, lastLoginAt: 1, ...person },
            { username: 'bob', online: false, lastLoginAt: 1, ...person },
            { username: 'carol', online: false, lastLoginAt: null, ...person },
          ],
          more: true,
        },
        time,
      ),
    ).toEqual([
      'People (3): alice (online), bob (last login 12:34), carol (never signed in)',
      'More people match: narrow it down with "users <part of a name>".',
    ]);
    expect(formatResult('users', { users: [], more: false })).toEqual(['No one matches.']);
    expect(formatResult('read', { with: 'team', group: true, everyone: false, messageId: 4, unread: 1 })).toEqual(['Read group team up to #4 (1 unread).']);
    expect(formatResult('settings', { readReceipts: true })).toEqual(['Read receipts: on.']);
    expect(formatResult('block', { user: 'b' })).toEqual(['b is blocked: their messages will not reach you.']);
    expect(formatResult('unblock', { user: 'b' })).toEqual(['b is unblocked.']);
    expect(formatResult('blocklist', { users: [] })).toEqual(['You have blocked no one.']);
    expect(formatResult('blocklist', { users: ['b'] })).toEqual(['Blocked (1): b']);
    expect(formatResult('ping', { user: 'b', online: true, lastLoginAt: 1, blockedByMe: true, blockedMe: true })).toEqual([
      'b is online; you have blocked b; b has blocked you.',
    ]);
    expect(formatResult('ping', { user: 'b', online: false, lastLoginAt: null, blockedByMe: false, blockedMe: false })).toEqual([
      'b is offline (last login never).',
    ]);
    expect(formatResult('offline', { messages: [] })).toEqual(['No messages waited for you while you were offline.']);
    expect(formatResult('offline', { messages: [{ seq: 1, offline: true, message: msg }] }, time)).toEqual([
      'Messages that waited for you while you were offline (1):',
      '#1 [12:34] alice (private, offline): hi there',
    ]);
    expect(formatResult('create-group', { group })).toEqual(['Group team created. Members: alice, bob']);
    expect(formatResult('message-group', { message: { ...msg, kind: 'group', group: 'team' }, queued: ['c'], blockedBy: 1 })).toEqual([
      'Sent to group team. (#42)',
      'Queued for offline member(s): c',
      'Your message could not be delivered to some members (1 have blocked you).',
    ]);
    expect(formatResult('grouplist', { groups: [] })).toEqual(['You are in no groups.']);
    expect(formatResult('grouplist', { groups: [group] })).toEqual(['Your groups (1):', '  team (owner alice): alice, bob']);
    expect(formatResult('group-add', { group })).toEqual(['Group team members: alice, bob']);
    expect(formatResult('group-remove', { group })).toEqual(['Group team members: alice, bob']);
    expect(formatResult('group-leave', { group: 'team' })).toEqual(['You left group team.']);
    expect(formatResult('history', { with: 'alice', group: false, messages: [], hasMore: false })).toEqual(['No messages.']);
    expect(
      formatResult(
        'history',
        {
          with: 'alice',
          group: false,
          messages: [
            { ...msg, id: 5 },
            { ...msg, id: 4 },
          ],
          hasMore: true,
        },
        time,
      ),
    ).toEqual(['4 [12:34] alice: hi there', '5 [12:34] alice: hi there', '(older messages: history alice 4)']);
    expect(formatResult('history', { with: 'team', group: true, messages: [{ ...msg, id: 9 }], hasMore: true }, time)).toEqual([
      '9 [12:34] alice: hi there',
      '(older messages: history group team 9)',
    ]);
    expect(formatResult('search', { terms: ['x'], results: [], nextCursor: null })).toEqual(['No messages match.']);
    const hit = (conversation: SearchConversation, id: number) => ({
      message: { ...msg, id, text: 'say\nhi there' },
      conversation,
      snippet: [
        { text: 'say\n', match: false },
        { text: 'hi', match: true },
        { text: ' there', match: false },
      ],
    });
    expect(
      formatResult(
        'search',
        {
          terms: ['hi'],
          results: [hit({ kind: 'private', with: 'bob' }, 7), hit({ kind: 'group', group: 'team' }, 6), hit({ kind: 'everyone' }, 5)],
          nextCursor: 5,
        },
        time,
      ),
    ).toEqual([
      'Found 3 messages, newest first:',
      '#7 [12:34] alice (private, with bob): say *hi* there',
      '#6 [12:34] alice (group team): say *hi* there',
      '#5 [12:34] alice (broadcast): say *hi* there',
      'More messages match: add words to narrow the search.',
    ]);
    expect(formatResult('ack', { seq: 3 })).toEqual(['Acknowledged up to #3.']);
    const bob = { username: 'bob', displayName: 'Bob B', avatarUrl: '/api/files/x?sig=y' };
    expect(formatResult('profile', bob, time, 'http://h:1')).toEqual(['bob: "Bob B", picture http://h:1/api/files/x?sig=y']);
    expect(formatResult('profiles', { users: [{ ...bob, displayName: null, avatarUrl: null }] })).toEqual(['bob: no display name, no picture']);
    expect(formatResult('profiles', { users: [] })).toEqual(['No such users.']);
    expect(formatResult('help', { commands: ['ack <seq>', 'help'] })).toEqual(['Commands:', '  ack <seq>', '  help']);
  });

  it('formatEvent renders every event', () => {
    const events: [EventFrame, string | null][] = [
      [{ type: 'event', event: 'hello', server: 'chat', protocol: 1, allowRegister: false, maxFrameBytes: 1 }, 'Welcome to chat (protocol 1).'],
      [{ type: 'event', event: 'message', seq: 3, offline: false, message: msg }, '#3 [12:34] alice (private): hi there'],
      [{ type: 'event', event: 'presence', user: 'bob', online: true, at: 0 }, '* bob is online'],
      [{ type: 'event', event: 'presence', user: 'bob', online: false, at: 0 }, '* bob went offline'],
      [{ type: 'event', event: 'group', name: 'g', change: 'created', actor: 'a', members: ['a', 'b'], group: null }, '* a created group g with you in it'],
      [{ type: 'event', event: 'group', name: 'g', change: 'added', actor: 'a', members: ['b', 'c'], group: null }, '* a added b, c to group g'],
      [{ type: 'event', event: 'group', name: 'g', change: 'removed', actor: 'a', members: ['b'], group: null }, '* a removed b from group g'],
      [{ type: 'event', event: 'group', name: 'g', change: 'left', actor: 'b', members: ['b'], group: null }, '* b left group g'],
      [{ type: 'event', event: 'group', name: 'g', change: 'deleted', actor: 'b', members: [], group: null }, '* group g was deleted'],
      [{ type: 'event', event: 'typing', from: 'bob' }, '* bob is typing'],
      [{ type: 'event', event: 'typing', from: 'bob', group: 'g' }, '* bob is typing in group g'],
      [{ type: 'event', event: 'read', by: 'bob', with: 'bob', messageId: 9 }, '* bob read your messages up to #9'],
      [{ type: 'event', event: 'read', by: 'bob', with: 'g', group: true, messageId: 9 }, '* bob read group g up to #9'],
      [
        { type: 'event', event: 'profile', username: 'bob', displayName: 'Bob\nB', avatarUrl: '/api/files/x' },
        '* bob updated their profile: display name "Bob B", new picture',
      ],
      [{ type: 'event', event: 'profile', username: 'bob', displayName: null, avatarUrl: null }, '* bob updated their profile: no display name, no picture'],
      [{ type: 'event', event: 'edited', id: 7, kind: 'private', from: 'bob', to: 'alice', text: 'new\ntext', editedAt: 1 }, '* bob edited #7: new text'],
      [{ type: 'event', event: 'deleted', id: 7, kind: 'group', from: 'bob', group: 'g', by: 'alice', at: 1 }, '* alice deleted #7'],
      [
        {
          type: 'event',
          event: 'reaction',
          id: 7,
          kind: 'broadcast',
          from: 'bob',
          user: 'carol',
          emoji: '👍',
          added: true,
          reactions: [{ emoji: '👍', users: ['carol'] }],
        },
        '* carol reacted 👍 to #7 [👍 1]',
      ],
      [
        { type: 'event', event: 'reaction', id: 7, kind: 'broadcast', from: 'bob', user: 'carol', emoji: '👍', added: false, reactions: [] },
        '* carol removed 👍 from #7',
      ],
      [{ type: 'event', event: 'shutdown', reason: 'bye' }, '* Server is shutting down: bye'],
    ];
    for (const [event, line] of events) expect(formatEvent(event, time)).toBe(line);
  });
});

describe('replies, edits, deletions and reactions on text lines', () => {
  const base = { id: 9, kind: 'private' as const, from: 'alice', to: 'bob', text: 'sure', ts: 0 };
  it('quotes the original briefly, marks edits, shows tombstones and reaction counts', () => {
    const long = 'The quick brown fox jumps over the lazy dog';
    expect(formatHistoryLine({ ...base, replyTo: { id: 3, from: 'bob', text: long } }, time)).toBe(
      '9 [12:34] alice: (re bob: "The quick brown fox jumps over…") sure',
    );
    expect(formatHistoryLine({ ...base, replyTo: { id: 3, from: 'bob', text: 'hi\nyou' } }, time)).toBe('9 [12:34] alice: (re bob: "hi you") sure');
    expect(formatHistoryLine({ ...base, replyTo: { id: 3, from: 'bob', text: '', deleted: true } }, time)).toBe(
      '9 [12:34] alice: (re bob: deleted message) sure',
    );
    expect(formatHistoryLine({ ...base, editedAt: 5 }, time)).toBe('9 [12:34] alice: sure (edited)');
    expect(formatHistoryLine({ ...base, text: '', deleted: true }, time)).toBe('9 [12:34] alice: (message deleted)');
    // A deleted reply no longer quotes what it answered.
    expect(formatHistoryLine({ ...base, text: '', deleted: true, replyTo: { id: 3, from: 'bob', text: 'hi' } }, time)).toBe(
      '9 [12:34] alice: (message deleted)',
    );
    const reactions = [
      { emoji: '👍', users: ['bob', 'carol'] },
      { emoji: '❤️', users: ['bob'] },
    ];
    expect(formatDelivery(9, false, { ...base, reactions }, time)).toBe('#9 [12:34] alice (private): sure [👍 2, ❤️ 1]');
  });
});

describe('attachments on text lines', () => {
  const file = {
    id: 'AAAAAAAAAAAAAAAAAAAAAA',
    name: 'cat\nphoto.png',
    size: 12_595,
    type: 'image/png',
    url: '/api/files/AAAAAAAAAAAAAAAAAAAAAA?expires=1&sig=x',
    linkExpires: 1,
  };
  const message = { id: 5, kind: 'private' as const, from: 'alice', to: 'bob', text: '', ts: 0, attachments: [file] };
  const utc = () => '12:00';

  it('shows [file: name (size)] and the link, after the text, on one line', () => {
    expect(formatDelivery(3, false, message, utc, 'http://h:4001')).toBe(
      '#3 [12:00] alice (private): [file: cat photo.png (12.3 KiB)] http://h:4001/api/files/AAAAAAAAAAAAAAAAAAAAAA?expires=1&sig=x',
    );
    expect(formatHistoryLine({ ...message, text: 'look' }, utc)).toBe(
      '5 [12:00] alice: look [file: cat photo.png (12.3 KiB)] /api/files/AAAAAAAAAAAAAAAAAAAAAA?expires=1&sig=x',
    );
  });

  it('formats sizes in B, KiB and MiB', () => {
    expect([formatSize(512), formatSize(2048), formatSize(25 * 1024 * 1024)]).toEqual(['512 B', '2.0 KiB', '25.0 MiB']);
  });
});
