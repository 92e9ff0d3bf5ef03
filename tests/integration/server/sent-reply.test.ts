// The WebSocket reply to a command that delivered a message reuses the JSON its
// delivery was encoded with: the reply's bytes must stay exactly those of the
// plain result encoded whole ({"type":"reply","id":…,"ok":true,"result":{"message":…,…}}),
// whatever the id, whether a WebSocket recipient encoded the message first or not.
import { describe, expect, it } from 'vitest';
import { sqliteBackend } from '../../helpers/backends';
import type { WsClient } from '../../helpers/ws-client';
import { passwordOf } from '../../helpers/users';
import { useBackend } from './harness';

/** Every text frame `client` receives from now on, as sent. */
function rawFrames(client: WsClient): string[] {
  const frames: string[] = [];
  client.ws.on('message', (data) => frames.push(data.toString()));
  return frames;
}

/** The reply frame to request `id`, as sent. */
function replyTo(frames: readonly string[], id: string | number): string {
  const found = frames.find((f) => f.startsWith('{"type":"reply"') && (JSON.parse(f) as { id: unknown }).id === id);
  if (found === undefined) throw new Error(`no reply to ${JSON.stringify(id)}`);
  return found;
}

/**
 * The message of the delivery of `text` to `client`, parsed from the frame as sent
 * (`frames` from rawFrames(client)): its key order is the one it was encoded in.
 */
async function delivered(client: WsClient, frames: readonly string[], text: string): Promise<unknown> {
  await client.waitEvent('message', (e) => e.message.text === text);
  for (const f of frames) {
    const frame = JSON.parse(f) as { event?: string; message?: { text?: string } };
    if (frame.event === 'message' && frame.message?.text === text) return frame.message;
  }
  throw new Error(`no delivery of ${text}`);
}

describe('replies to sends over WebSocket', () => {
  const h = useBackend(sqliteBackend);

  it('are byte for byte the whole result encoded: message, broadcast, group message and reply, with number and string ids', async () => {
    const alice = await h.wsUser(0, 'alice');
    const bob = await h.wsUser(0, 'bob');
    const sent = rawFrames(alice);
    const got = rawFrames(bob);
    await alice.request({ type: 'create-group', group: 'g', members: ['bob'] });

    const privateReply = await alice.sendRawWithId(41, JSON.stringify({ id: 41, type: 'message', to: 'bob', text: 'one' }));
    const one = await delivered(bob, got, 'one');
    expect(replyTo(sent, 41)).toBe(JSON.stringify({ type: 'reply', id: 41, ok: true, result: { message: one, queued: false } }));
    expect(privateReply).toEqual({ ok: true, result: { message: one, queued: false } });

    // A string id with characters JSON escapes.
    const oddId = 'q"\\\u2028x';
    await alice.sendRawWithId(oddId, JSON.stringify({ id: oddId, type: 'broadcast', text: 'all' }));
    const all = await delivered(bob, got, 'all');
    expect(replyTo(sent, oddId)).toBe(JSON.stringify({ type: 'reply', id: oddId, ok: true, result: { message: all, delivered: 1, blockedBy: 0 } }));

    await alice.sendRawWithId(43, JSON.stringify({ id: 43, type: 'message-group', group: 'g', text: 'team' }));
    const team = await delivered(bob, got, 'team');
    expect(replyTo(sent, 43)).toBe(JSON.stringify({ type: 'reply', id: 43, ok: true, result: { message: team, queued: [], blockedBy: 0 } }));

    const ids = (one as { id: number }).id;
    await alice.sendRawWithId(44, JSON.stringify({ id: 44, type: 'reply', messageId: ids, text: 'answer' }));
    const answer = await delivered(bob, got, 'answer');
    expect((answer as { replyTo?: unknown }).replyTo).toEqual({ id: ids, from: 'alice', text: 'one' });
    expect(replyTo(sent, 44)).toBe(JSON.stringify({ type: 'reply', id: 44, ok: true, result: { message: answer } }));
  });

  it('are the same bytes when no WebSocket recipient encoded the message (offline, or on TCP)', async () => {
    const alice = await h.wsUser(0, 'alice');
    const sent = rawFrames(alice);
    await alice.sendRawWithId(7, JSON.stringify({ id: 7, type: 'message', to: 'carol', text: 'later' }));
    const offline = JSON.parse(replyTo(sent, 7)) as { result: { message: unknown } };
    expect(replyTo(sent, 7)).toBe(JSON.stringify({ type: 'reply', id: 7, ok: true, result: { message: offline.result.message, queued: true } }));
    const carol = await h.ws(0);
    const caught = rawFrames(carol);
    await carol.login('carol', passwordOf('carol'));
    expect(JSON.stringify(await delivered(carol, caught, 'later'))).toBe(JSON.stringify(offline.result.message));

    const dave = await h.tcpUser(0, 'dave');
    await alice.sendRawWithId(8, JSON.stringify({ id: 8, type: 'message', to: 'dave', text: 'over tcp' }));
    await dave.waitLine('over tcp');
    const toDave = JSON.parse(replyTo(sent, 8)) as { result: { message: { text: string; to: string } } };
    expect(toDave.result.message).toMatchObject({ text: 'over tcp', to: 'dave' });
    expect(replyTo(sent, 8)).toBe(JSON.stringify({ type: 'reply', id: 8, ok: true, result: { message: toDave.result.message, queued: false } }));
  });
});
