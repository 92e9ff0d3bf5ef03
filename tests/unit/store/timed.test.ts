// timeStoreWrites on a real (memory) store: each write is observed once, after it
// settled and before its caller goes on, whether it committed or failed; the caller
// gets the write's own outcome; reads pass through unobserved.
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../server/store/memory/memory-store';
import { timeStoreWrites } from '../../../server/store/timed';

const T0 = 1_700_000_000_000;

function timed() {
  const observed: { operation: string; seconds: number }[] = [];
  const store = timeStoreWrites(new MemoryStore(), (operation, seconds) => observed.push({ operation, seconds }));
  return { store, observed };
}

describe('timeStoreWrites', () => {
  it('observes a committed write once, before its caller resumes, and hands the caller its result', async () => {
    const { store, observed } = timed();
    expect(await store.accounts.createUser('ann', 'h', T0)).toBe(true);
    await store.accounts.createUser('ben', 'h', T0);
    observed.length = 0;
    const saved = await store.messages.saveMessage({ kind: 'private', from: 'ann', to: 'ben', text: 'hi', ts: T0 });
    expect(observed.map((o) => o.operation)).toEqual(['messages.saveMessage']);
    expect(observed[0]!.seconds).toBeGreaterThanOrEqual(0);
    expect(saved).toMatchObject({ kind: 'private', from: 'ann', to: 'ben', text: 'hi', ts: T0 });
    expect(saved.id).toBeGreaterThan(0);
  });

  it('observes a failed write too, and the caller gets its error', async () => {
    const { store, observed } = timed();
    await store.accounts.createUser('ann', 'h', T0);
    observed.length = 0;
    await expect(store.messages.saveMessage({ kind: 'private', from: 'ann', to: 'ghost', text: 'x', ts: T0 })).rejects.toThrow(/not a user/);
    expect(observed.map((o) => o.operation)).toEqual(['messages.saveMessage']);
  });

  it('writes issued together are each observed once; reads are not observed', async () => {
    const { store, observed } = timed();
    await Promise.all(['ann', 'ben', 'cat'].map((name) => store.accounts.createUser(name, 'h', T0)));
    expect(observed.map((o) => o.operation)).toEqual(['accounts.createUser', 'accounts.createUser', 'accounts.createUser']);
    observed.length = 0;
    expect(await store.accounts.getUser('ann')).toMatchObject({ username: 'ann' });
    expect(await store.messages.head()).toBe(0);
    expect(observed).toEqual([]);
  });
});
