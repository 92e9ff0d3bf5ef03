// search over real sockets, on every backend. Client k talks to node(k): on the
// cluster the messages are written through one node and searched on the other.
import { describe, expect, it } from 'vitest';
import { backends } from '../../helpers/backends';
import { useBackend } from './harness';

const CLOCK = '\\d\\d:\\d\\d';

for (const backend of backends) {
  describe(`search [${backend.name}]`, () => {
    const h = useBackend(backend);

    it('WS: finds what the caller can read, newest first, with its conversation and a highlighted snippet', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const carol = await h.wsUser(0, 'carol');
      await alice.request({ type: 'create-group', group: 'team', members: ['bob'] });
      await carol.request({ type: 'create-group', group: 'crew', members: ['alice'] });
      const m1 = await alice.request({ type: 'message', to: 'bob', text: 'Deploy the rocket today' });
      await carol.request({ type: 'message', to: 'alice', text: 'rocket fuel is low' });
      await carol.request({ type: 'message-group', group: 'crew', text: 'rocket crew only' });
      const m2 = await bob.request({ type: 'message-group', group: 'team', text: 'Rocketry meeting, then lunch' });
      await bob.request({ type: 'block', user: 'dave' });
      const dave = await h.wsUser(1, 'dave');
      await dave.request({ type: 'broadcast', text: 'rocket sale, blocked' });
      const m3 = await carol.request({ type: 'broadcast', text: 'a ROCKET party' });
      await alice.request({ type: 'message', to: 'bob', text: 'nothing to see here' });

      const found = await bob.request({ type: 'search', query: 'rock' });
      expect(found.terms).toEqual(['rock']);
      expect(found.nextCursor).toBeNull();
      expect(found.results.map((r) => r.message.text)).toEqual(['a ROCKET party', 'Rocketry meeting, then lunch', 'Deploy the rocket today']);
      expect(found.results.map((r) => r.conversation)).toEqual([{ kind: 'everyone' }, { kind: 'group', group: 'team' }, { kind: 'private', with: 'alice' }]);
      expect(found.results[0]?.message).toMatchObject({ id: m3.message.id, kind: 'broadcast', from: 'carol' });
      expect(found.results[1]?.message.id).toBe(m2.message.id);
      expect(found.results[2]?.message).toEqual(m1.message);
      expect(found.results[1]?.snippet).toEqual([
        { text: 'Rocketry', match: true },
        { text: ' meeting, then lunch', match: false },
      ]);
      expect(found.results[2]?.snippet).toEqual([
        { text: 'Deploy the ', match: false },
        { text: 'rocket', match: true },
        { text: ' today', match: false },
      ]);
      // The sender sees the private message under the other person's name.
      const mine = await alice.request({ type: 'search', query: 'deploy', with: 'BOB' });
      expect(mine.results.map((r) => r.conversation)).toEqual([{ kind: 'private', with: 'bob' }]);
      // alice sees crew (a member) and carol's private message; bob sees neither.
      expect((await alice.request({ type: 'search', query: 'rocket' })).results.map((r) => r.message.text)).toEqual([
        'a ROCKET party',
        'rocket sale, blocked',
        'Rocketry meeting, then lunch',
        'rocket crew only',
        'rocket fuel is low',
        'Deploy the rocket today',
      ]);
    });

    it('WS: filters by person, group and time; pages with limit and cursor', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      await alice.request({ type: 'create-group', group: 'team', members: ['bob'] });
      const sent: number[] = [];
      for (let i = 1; i <= 5; i++) sent.push((await alice.request({ type: 'message', to: 'bob', text: `note ${i}` })).message.id);
      await alice.request({ type: 'message-group', group: 'team', text: 'team note' });
      await bob.request({ type: 'broadcast', text: 'note for all' });

      const page1 = await bob.request({ type: 'search', query: 'note', limit: 3 });
      expect(page1.results.map((r) => r.message.text)).toEqual(['note for all', 'team note', 'note 5']);
      expect(page1.nextCursor).toBe(page1.results[2]?.message.id);
      const page2 = await bob.request({ type: 'search', query: 'note', limit: 3, cursor: page1.nextCursor ?? 0 });
      expect(page2.results.map((r) => r.message.text)).toEqual(['note 4', 'note 3', 'note 2']);
      const page3 = await bob.request({ type: 'search', query: 'note', limit: 3, cursor: page2.nextCursor ?? 0 });
      expect(page3.results.map((r) => r.message.text)).toEqual(['note 1']);
      expect(page3.nextCursor).toBeNull();

      expect((await bob.request({ type: 'search', query: 'note', with: 'alice', limit: 2 })).results.map((r) => r.message.text)).toEqual(['note 5', 'note 4']);
      expect((await bob.request({ type: 'search', query: 'note', group: 'team' })).results.map((r) => r.message.text)).toEqual(['team note']);
      expect((await bob.request({ type: 'search', query: 'note', with: 'carol' })).results).toEqual([]);

      const all = (await bob.request({ type: 'search', query: 'note' })).results;
      const ts = all.map((r) => r.message.ts);
      const newest = Math.max(...ts);
      // Timestamps: after is exclusive, before exclusive.
      const recent = await bob.request({ type: 'search', query: 'note', after: newest - 1 });
      expect(recent.results.every((r) => r.message.ts === newest)).toBe(true);
      expect((await bob.request({ type: 'search', query: 'note', before: Math.min(...ts) })).results).toEqual([]);
    });

    it('WS: odd queries are plain words or a clear BAD_REQUEST, never a failure', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      await alice.request({ type: 'message', to: 'bob', text: 'say "foo" AND bar OR (baz)' });
      for (const query of ['"foo', 'AND OR (', 'foo*', '(foo bar)', "foo' OR --", 'bar:*', 'foo & !bar', '-foo', '^foo']) {
        const found = await bob.request({ type: 'search', query });
        expect(
          found.results.map((r) => r.message.text),
          query,
        ).toEqual(['say "foo" AND bar OR (baz)']);
      }
      for (const query of ['', '(', '"', '*** ))', '   ']) {
        const error = await bob.expectError({ type: 'search', query });
        expect(error.code).toBe('BAD_REQUEST');
        expect(error.message).toMatch(/at least one word/);
      }
      expect((await bob.expectError({ type: 'search', query: 'x'.repeat(201) })).code).toBe('BAD_REQUEST');
      expect((await bob.expectError({ type: 'search', query: Array.from({ length: 17 }, (_, i) => `w${i}`).join(' ') })).code).toBe('BAD_REQUEST');
      expect((await bob.expectError({ type: 'search', query: 'foo', with: 'alice', group: 'team' })).code).toBe('BAD_REQUEST');
      expect((await bob.expectError({ type: 'search', query: 'foo', after: 10, before: 5 })).code).toBe('BAD_REQUEST');
      expect((await bob.expectError({ type: 'search', query: 'foo', limit: 101 })).code).toBe('BAD_REQUEST');
      expect((await bob.expectError({ type: 'search', query: 'foo', with: 'zed' })).code).toBe('UNKNOWN_USER');
      const anon = await h.ws(0);
      expect((await anon.expectError({ type: 'search', query: 'foo' })).code).toBe('NOT_SIGNED_IN');
      // A request no one could run is refused as malformed, signed in or not (the schema checks it, as it checks the shape).
      for (const request of [
        { type: 'search', query: '(' },
        { type: 'search', query: 'foo', with: 'alice', group: 'team' },
        { type: 'search', query: 'foo', after: 10, before: 5 },
      ] as const) {
        expect(await anon.expectError(request)).toMatchObject({
          code: 'BAD_REQUEST',
          message: expect.stringMatching(/^search: (the query|give either|"after")/),
        });
      }
      // The session is still fine.
      expect((await bob.request({ type: 'search', query: 'baz' })).results).toHaveLength(1);
    });

    it('WS: markup in a message comes back as plain text segments', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const text = '<img src=x onerror=alert(1)> & <b>bold</b>';
      await alice.request({ type: 'message', to: 'bob', text });
      const [hit] = (await bob.request({ type: 'search', query: 'onerror' })).results;
      expect(hit?.message.text).toBe(text);
      expect(hit?.snippet.map((s) => s.text).join('')).toBe(text);
      expect(hit?.snippet.filter((s) => s.match)).toEqual([{ text: 'onerror', match: true }]);
    });

    it('TCP: search <words> lists conversation, time, id and snippet with *matches*', async () => {
      const alice = await h.tcpUser(0, 'alice');
      const bob = await h.tcpUser(1, 'bob');
      alice.send('create group team bob');
      await alice.waitLine(/group team/i);
      alice.send('message bob the Rocket is ready');
      await alice.waitLine('Sent to bob.');
      alice.send('message group team rocket launch at noon');
      await alice.waitLine(/^Sent to group team/);
      alice.send('broadcast rockets for everyone');
      await alice.waitLine(/^Broadcast/i);
      bob.send('search ROCK');
      await bob.waitLine('Found 3 messages, newest first:');
      const broadcastLine = await bob.waitLine(/\(broadcast\)/);
      expect(broadcastLine).toMatch(new RegExp(`^#\\d+ \\[${CLOCK}\\] alice \\(broadcast\\): \\*rockets\\* for everyone$`));
      expect(await bob.waitLine(/\(group team\)/)).toMatch(new RegExp(`^#\\d+ \\[${CLOCK}\\] alice \\(group team\\): \\*rocket\\* launch at noon$`));
      expect(await bob.waitLine(/\(private, with alice\)/)).toMatch(
        new RegExp(`^#\\d+ \\[${CLOCK}\\] alice \\(private, with alice\\): the \\*Rocket\\* is ready$`),
      );
      bob.send('search "rocket (noon*');
      await bob.waitLine('Found 1 message, newest first:');
      bob.send('search nothingmatches');
      await bob.waitLine('No messages match.');
      bob.send('search (');
      await bob.waitLine('error BAD_REQUEST: the query needs at least one word (letters or digits) (usage: search <words>)');
      bob.send('search');
      await bob.waitLine('error BAD_REQUEST: Usage: search <words>');
    });
  });
}
