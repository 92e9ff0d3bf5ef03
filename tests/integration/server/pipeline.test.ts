// The per-connection command queue (--command-queue, COMMAND_QUEUE_FULL) and the
// pipeline: consecutive sends of one connection run together (their writes share
// commits) while replies keep request order and messages keep send order.
import { describe, expect, it } from 'vitest';
import { backends } from '../../helpers/backends';
import { useBackend } from './harness';

for (const backend of backends) {
  describe(`command queue and pipeline [${backend.name}]`, () => {
    const h = useBackend(backend);

    it('a sender within the rate limit is never refused by a queue of 4: replies in request order, messages in send order', async () => {
      // The sign-in and 39 sends at once are the rate limit's burst: within the limit however long commits take.
      await h.startFresh({ commandQueue: 4, rateLimit: 20, rateBurst: 40 });
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const COUNT = 39;
      const replies = await Promise.all(Array.from({ length: COUNT }, (_, i) => alice.send({ type: 'message', to: 'bob', text: `p${i}` })));
      expect(replies.filter((r) => !r.ok)).toEqual([]);
      const ids = replies.map((r) => (r.ok ? (r.result as { message: { id: number } }).message.id : 0));
      // Replies came back in request order, with ids that follow it.
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      const got = await bob.waitMessages(COUNT, 20_000);
      expect(got.map((m) => m.message.text)).toEqual(Array.from({ length: COUNT }, (_, i) => `p${i}`));
    });

    it('a flood beyond the pipeline (no rate limit, 8 x the queue in flight) is refused with COMMAND_QUEUE_FULL, in order', async () => {
      await h.startFresh({ commandQueue: 2 });
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => alice.send({ type: 'message', to: 'bob', text: `f${i}` })));
      const sent = replies.flatMap((r, i) => (r.ok ? [`f${i}`] : []));
      expect(sent.length).toBeGreaterThanOrEqual(16);
      expect(replies.filter((r) => !r.ok).every((r) => !r.ok && r.error.code === 'COMMAND_QUEUE_FULL')).toBe(true);
      // What was accepted arrives, in send order.
      expect((await bob.waitMessages(sent.length, 20_000)).map((m) => m.message.text)).toEqual(sent);
    });

    it('commands that must wait for the ones before them fill the queue: COMMAND_QUEUE_FULL names it', async () => {
      await h.startFresh({ commandQueue: 2 });
      const alice = await h.wsUser(0, 'alice');
      const replies = await Promise.all(Array.from({ length: 20 }, () => alice.send({ type: 'whoelse' })));
      const refused = replies.filter((r) => !r.ok);
      expect(refused.length).toBeGreaterThan(0);
      for (const r of refused) {
        expect(r.ok ? null : r.error).toMatchObject({ code: 'COMMAND_QUEUE_FULL', retryAfter: 1 });
        expect(r.ok ? '' : r.error.message).toMatch(/command queue holds 2/);
      }
      // The connection stays usable.
      expect((await alice.request({ type: 'whoelse' })).users).toEqual([]);
    });

    it('refusals (RATE_LIMITED, COMMAND_QUEUE_FULL) come back in request order, after the replies to the commands before them', async () => {
      // A burst of 6 after the sign-in: the sends past it are refused while the first ones wait for their commit.
      await h.startFresh({ rateLimit: 1, rateBurst: 6 });
      const alice = await h.wsUser(0, 'alice');
      await h.wsUser(1, 'bob');
      const order: number[] = [];
      const replies = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          alice.send({ type: 'message', to: 'bob', text: `r${i}` }).then((reply) => {
            order.push(i);
            return reply;
          }),
        ),
      );
      expect(replies.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.error.code))).toContain('RATE_LIMITED');
      expect(order).toEqual(Array.from({ length: 12 }, (_, i) => i));
      // The queue's refusals too: whoelse waits for the ones before it, and a queue of 2 is full at once.
      await h.startFresh({ commandQueue: 2 });
      const carol = await h.wsUser(0, 'carol');
      const queued: number[] = [];
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          carol.send({ type: 'whoelse' }).then((reply) => {
            queued.push(i);
            return reply;
          }),
        ),
      );
      expect(answers.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.error.code))).toContain('COMMAND_QUEUE_FULL');
      expect(queued).toEqual(Array.from({ length: 20 }, (_, i) => i));
    });

    it('TCP: pipelined sends and a command after them: replies in order', async () => {
      const alice = await h.tcpUser(0, 'alice');
      await h.wsUser(1, 'bob');
      alice.write(`${Array.from({ length: 30 }, (_, i) => `message bob t${i}`).join('\n')}\nwhoelse\n`);
      for (let i = 0; i < 30; i++) await alice.waitLine('Sent to bob.');
      await alice.waitLine('Online now (1): bob');
    });
  });
}
