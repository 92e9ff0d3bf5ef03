// Presence changes reach only related users: group co-members, direct peers
// (a private message either way) and watchers (`watch`), on every backend.
// Client k talks to node(k): on the cluster erin (node 1) and the observers on
// node 0 are on different nodes, so the change crosses the bus.
import { describe, expect, it } from 'vitest';
import { backends } from '../../helpers/backends';
import type { WsClient } from '../../helpers/ws-client';
import { useBackend } from './harness';

/** Presence events about `user` received so far (without removing them). */
function presenceOf(client: WsClient, user: string): { online: boolean }[] {
  return client.events.filter((e) => e.event === 'presence' && e.user === user) as { online: boolean }[];
}

for (const backend of backends) {
  describe(`presence scope [${backend.name}]`, () => {
    const h = useBackend(backend);

    it('WS: a group co-member, a direct peer and a watcher see erin come and go; a user with no relationship sees nothing, but whoelse lists her', async () => {
      // alice shares a group with erin, bob wrote to erin, carol watches her, dave has no relation.
      const alice = await h.wsUser(0, 'alice');
      const dave = await h.wsUser(0, 'dave');
      const carol = await h.wsUser(2, 'carol');
      const bob = await h.wsUser(1, 'bob');
      await alice.request({ type: 'create-group', group: 'team', members: ['erin'] });
      expect((await bob.request({ type: 'message', to: 'erin', text: 'hello' })).queued).toBe(true);
      // Typed names match by canonical form; unknown ones and oneself are left out.
      expect(await carol.request({ type: 'watch', users: ['ERIN', 'nobody', 'carol'] })).toEqual({ users: ['erin'] });

      const erin = await h.wsUser(1, 'erin');
      for (const c of [alice, bob, carol]) await c.waitEvent('presence', (e) => e.user === 'erin' && e.online);
      // dave and carol share node 0: carol got hers, so dave's would have gone out in the
      // same pass; his round trip below brings in anything already written to him.
      expect((await dave.request({ type: 'whoelse' })).users).toContain('erin');
      expect(presenceOf(dave, 'erin')).toEqual([]);

      await erin.request({ type: 'logout' });
      for (const c of [alice, bob, carol]) await c.waitEvent('presence', (e) => e.user === 'erin' && !e.online);
      await dave.request({ type: 'whoelse' });
      expect(presenceOf(dave, 'erin')).toEqual([]);

      // An empty list ends the subscription: carol hears nothing of erin's next sign-in, alice does.
      expect(await carol.request({ type: 'watch', users: [] })).toEqual({ users: [] });
      const again = await h.wsUser(1, 'erin');
      await alice.waitEvent('presence', (e) => e.user === 'erin' && e.online);
      await dave.request({ type: 'whoelse' });
      await carol.request({ type: 'whoelse' });
      expect(presenceOf(carol, 'erin')).toEqual([]);
      expect(presenceOf(dave, 'erin')).toEqual([]);
      again.close();

      // Bad input: at most 500 names, each a valid username.
      expect((await carol.expectError({ type: 'watch', users: ['bad name'] } as never)).code).toBe('BAD_REQUEST');
      expect((await carol.expectError({ type: 'watch', users: Array.from({ length: 501 }, (_, i) => `u${i}`) })).code).toBe('BAD_REQUEST');
    });

    it('TCP: watch [user ...] subscribes to presence lines; a direct peer sees them without one', async () => {
      const carol = await h.tcpUser(0, 'carol');
      carol.send('watch dave');
      await carol.waitLine('Watching (1): dave');
      const alice = await h.wsUser(0, 'alice');
      await alice.request({ type: 'message', to: 'dave', text: 'hi' });
      const dave = await h.tcpUser(1, 'dave');
      await carol.waitLine('* dave is online');
      await alice.waitEvent('presence', (e) => e.user === 'dave' && e.online);
      dave.send('logout');
      await carol.waitLine('* dave went offline');
      carol.send('watch');
      await carol.waitLine('Not watching anyone.');
    });
  });
}
