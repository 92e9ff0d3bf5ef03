// chat:// links: exactly the documented forms parse (with valid names and addresses), all
// else is refused; links are found in a command line (Windows, Linux, second instance) and
// queued until the page takes them, then delivered directly, each once.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeepLinkRouter, deepLinkInArgv, isJoinableServer, parseDeepLink } from '../../../main/deep-links';
import type { DeepLink } from '../../../main/ipc/contract';

describe('parseDeepLink', () => {
  it.each<[string, DeepLink]>([
    ['chat://open?user=bob', { kind: 'open', user: 'bob' }],
    ['chat://open/?user=bob', { kind: 'open', user: 'bob' }],
    ['chat://OPEN?user=Bob.Smith-2', { kind: 'open', user: 'Bob.Smith-2' }],
    ['chat://open?group=team', { kind: 'open', group: 'team' }],
    ['chat://join?server=chat.example.org:4001', { kind: 'join', server: 'chat.example.org:4001' }],
    ['chat://join?server=192.168.1.20:4001', { kind: 'join', server: '192.168.1.20:4001' }],
    ['chat://join?server=%5Bfe80%3A%3A1%5D%3A4001', { kind: 'join', server: '[fe80::1]:4001' }],
    ['chat://join?server=wss%3A%2F%2Fchat.example.org%2Fws', { kind: 'join', server: 'wss://chat.example.org/ws' }],
  ])('%s', (raw, link) => {
    expect(parseDeepLink(raw)).toEqual(link);
  });

  it.each([
    ['another scheme', 'https://open?user=bob'],
    ['an unknown action', 'chat://delete?user=bob'],
    ['an unknown parameter', 'chat://open?channel=bob'],
    ['two parameters', 'chat://open?user=bob&group=team'],
    ['the same parameter twice', 'chat://open?user=bob&user=eve'],
    ['no parameter', 'chat://open'],
    ['an invalid user name', 'chat://open?user=bob%20smith'],
    ['a user name starting with a dot', 'chat://open?user=.bob'],
    ['a too long name', `chat://open?user=${'a'.repeat(33)}`],
    ['a path', 'chat://open/bob?user=bob'],
    ['a fragment', 'chat://open?user=bob#x'],
    ['credentials', 'chat://x:y@open?user=bob'],
    ['a port on the action', 'chat://open:80?user=bob'],
    ['a server without port', 'chat://join?server=chat.example.org'],
    ['a server with port 0', 'chat://join?server=chat.example.org:0'],
    ['a server with a too high port', 'chat://join?server=chat.example.org:65536'],
    ['an http server URL', 'chat://join?server=http%3A%2F%2Fchat.example.org'],
    ['a server URL with credentials', 'chat://join?server=wss%3A%2F%2Fa%3Ab%40chat.example.org%2Fws'],
    ['a javascript URL', 'chat://join?server=javascript%3Aalert(1)'],
    ['an opaque form', 'chat:open?user=bob'],
    ['an overlong link', `chat://open?user=bob&x=${'a'.repeat(3000)}`],
    ['garbage', 'not a link'],
  ])('refuses %s', (_name, raw) => {
    expect(parseDeepLink(raw)).toBeNull();
  });

  it('never throws and only ever returns one of the three forms', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.webUrl(),
          fc.string().map((s) => `chat://${s}`),
          fc.string().map((s) => `chat://open?user=${s}`),
        ),
        (raw) => {
          const link = parseDeepLink(raw);
          if (link === null) return;
          expect(link.kind === 'open' || link.kind === 'join').toBe(true);
          if ('user' in link) expect(link.user).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/);
          if ('server' in link) expect(isJoinableServer(link.server)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('server addresses', () => {
    expect(isJoinableServer('localhost:4001')).toBe(true);
    expect(isJoinableServer('ws://10.0.0.5:4001/ws')).toBe(true);
    expect(isJoinableServer('-bad-.example:4001')).toBe(false);
    expect(isJoinableServer('a b:4001')).toBe(false);
    expect(isJoinableServer('host:99999')).toBe(false);
  });
});

describe('deepLinkInArgv', () => {
  it('finds the link among the other arguments (Windows/Linux launch, second instance)', () => {
    expect(deepLinkInArgv(['C:\\Program Files\\Chat\\Chat.exe', '--allow-file-access', 'chat://open?user=bob'])).toBe('chat://open?user=bob');
    expect(deepLinkInArgv(['/usr/bin/electron', '/repo', '--hidden'])).toBeNull();
    expect(deepLinkInArgv(['/opt/Chat/chat-desktop', 'CHAT://join?server=h:1'])).toBe('CHAT://join?server=h:1');
  });
});

describe('DeepLinkRouter', () => {
  function router(maxPending?: number) {
    const delivered: DeepLink[] = [];
    const rejected: string[] = [];
    let reveals = 0;
    const r = new DeepLinkRouter({ deliver: (l) => delivered.push(l), reveal: () => reveals++, onRejected: (raw) => rejected.push(raw), maxPending });
    return { r, delivered, rejected, reveals: () => reveals };
  }

  it('queues until the page takes them, then delivers directly; each link once', () => {
    const t = router();
    t.r.accept('chat://open?user=bob');
    t.r.accept('chat://join?server=h:4001');
    expect(t.delivered).toEqual([]);
    expect(t.r.take()).toEqual([
      { kind: 'open', user: 'bob' },
      { kind: 'join', server: 'h:4001' },
    ]);
    expect(t.r.take()).toEqual([]);
    t.r.accept('chat://open?group=team');
    expect(t.delivered).toEqual([{ kind: 'open', group: 'team' }]);
    expect(t.reveals()).toBe(3);
  });

  it('queues again while the page is gone (window closed, reload)', () => {
    const t = router();
    t.r.take();
    t.r.pageGone();
    t.r.accept('chat://open?user=bob');
    expect(t.delivered).toEqual([]);
    expect(t.r.take()).toEqual([{ kind: 'open', user: 'bob' }]);
  });

  it('refuses invalid links without revealing the window, and bounds the queue', () => {
    const t = router(2);
    t.r.accept('chat://open?user=../../etc');
    expect(t.rejected).toEqual(['chat://open?user=../../etc']);
    expect(t.reveals()).toBe(0);
    for (const u of ['a', 'b', 'c']) t.r.accept(`chat://open?user=${u}`);
    expect(t.r.take()).toEqual([
      { kind: 'open', user: 'b' },
      { kind: 'open', user: 'c' },
    ]);
  });
});
