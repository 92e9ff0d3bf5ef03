// mergeEntries, the one way messages enter a conversation's list: order by
// time then id, no duplicates, delivery states kept, outbox twins replaced, and
// the kind of change the virtualized list anchors on (append / prepend).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byTime, mergeEntries, type Entry } from '../../../renderer/lib/state/entries';

function msg(id: number, ts = id * 1000, extra: Partial<Entry> = {}): Entry {
  return { key: `m${id}`, id, from: 'bob', text: `text ${id}`, ts, mine: false, offline: false, state: null, detail: null, ...extra };
}

function local(n: number, text: string, ts: number, state: Entry['state'] = 'failed'): Entry {
  return { key: `l${n}`, id: null, from: 'me', text, ts, mine: true, offline: false, state, detail: null };
}

/** Merges batches one after the other, as the UI does, with one `known` map. */
function mergeAll(batches: Entry[][]) {
  const known = new Map<number, Entry>();
  let list: Entry[] = [];
  const changes: string[] = [];
  for (const batch of batches) {
    const result = mergeEntries(list, batch, known);
    if (result) {
      list = result.entries;
      changes.push(result.change);
    } else changes.push('none');
  }
  return { list, changes, known };
}

describe('mergeEntries', () => {
  it('appends newer messages and prepends older pages, saying which', () => {
    const { list, changes } = mergeAll([[msg(5), msg(6)], [msg(7)], [msg(3), msg(4), msg(2)], [msg(8), msg(9)]]);
    expect(list.map((e) => e.id)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(changes).toEqual(['replace', 'append', 'prepend', 'append']);
  });

  it('interleaves a batch that falls in between, and ignores what it already has', () => {
    const { list, changes } = mergeAll([[msg(1), msg(4)], [msg(2), msg(3), msg(4)], [msg(1)]]);
    expect(list.map((e) => e.id)).toEqual([1, 2, 3, 4]);
    expect(changes).toEqual(['replace', 'replace', 'none']);
  });

  it('keeps a delivery state and adds one that was missing, in place', () => {
    const sent = msg(2, 2000, { mine: true, from: 'me', state: 'queued', detail: 'bob is offline' });
    const { list } = mergeAll([[msg(1), sent, msg(3)], [msg(2, 2000, { mine: true, from: 'me' })], [msg(3, 3000, { state: 'delivered' })]]);
    expect(list.map((e) => [e.id, e.state])).toEqual([
      [1, null],
      [2, 'queued'],
      [3, 'delivered'],
    ]);
  });

  it('takes edits, deletions and reactions from a page read again, in place, keeping the delivery state', () => {
    const sent = msg(2, 2000, { mine: true, from: 'me', state: 'delivered', detail: null });
    const reactions = [{ emoji: '👍', users: ['bob'] }];
    const { list, changes } = mergeAll([
      [msg(1), sent, msg(3)],
      [msg(1, 1000, { text: 'fixed', editedAt: 5 }), msg(2, 2000, { mine: true, from: 'me', reactions }), msg(3, 3000, { text: '', deleted: true })],
    ]);
    expect(changes).toEqual(['replace', 'replace']);
    expect(list.map((e) => e.key)).toEqual(['m1', 'm2', 'm3']);
    expect(list[0]).toMatchObject({ text: 'fixed', editedAt: 5 });
    expect(list[1]).toMatchObject({ state: 'delivered', reactions });
    expect(list[2]).toMatchObject({ text: '', deleted: true });
  });

  it('an answer for a message already shown (a resend from the outbox, same id) adds no copy: the entry gains its state', () => {
    const { list } = mergeAll([
      [msg(1), msg(9, 4000, { mine: true, from: 'me', text: 'hello' }), local(2, 'refused', 5001, 'failed')],
      [msg(9, 4000, { mine: true, from: 'me', text: 'hello', state: 'delivered' })],
    ]);
    expect(list.map((e) => e.key)).toEqual(['m1', 'm9', 'l2']);
    expect(list[1]).toMatchObject({ state: 'delivered' });
  });

  it('property: any batches give one sorted list with every id once', () => {
    const entry = fc.record({ id: fc.integer({ min: 1, max: 60 }), ts: fc.integer({ min: 0, max: 20 }) }).map(({ id, ts }) => msg(id, ts * 1000));
    fc.assert(
      fc.property(fc.array(fc.array(entry, { maxLength: 12 }), { maxLength: 8 }), (batches) => {
        const { list, known } = mergeAll(batches);
        for (let i = 1; i < list.length; i++) expect(byTime(list[i - 1] as Entry, list[i] as Entry)).toBeLessThanOrEqual(0);
        const ids = list.map((e) => e.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(new Set(ids)).toEqual(new Set(batches.flat().map((e) => e.id)));
        expect(known.size).toBe(ids.length);
      }),
    );
  });
});
