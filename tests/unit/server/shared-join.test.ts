// A fan-out's recipients join the same delivery units once: the same parts (by
// identity, in order) give the same buffer; anything else is joined afresh.
import { describe, expect, it } from 'vitest';
import { forgetSharedJoin, joinShared } from '../../../server/transport/shared-join';

describe('joinShared', () => {
  it('joins the parts once for every turn that holds the same buffers in the same order', () => {
    const a = Buffer.from('#1 alice: hi\n');
    const b = Buffer.from('#2 alice: there\n');
    const first = joinShared([a, b]);
    expect(first.toString()).toBe('#1 alice: hi\n#2 alice: there\n');
    expect(joinShared([a, b])).toBe(first);
    forgetSharedJoin();
    expect(joinShared([a, b])).not.toBe(first);
  });

  it('joins afresh for other parts: another order, another length, equal bytes in other buffers', () => {
    const a = Buffer.from('a');
    const b = Buffer.from('b');
    const ab = joinShared([a, b]);
    expect(joinShared([b, a]).toString()).toBe('ba');
    expect(joinShared([a, b, a]).toString()).toBe('aba');
    const again = joinShared([Buffer.from('a'), Buffer.from('b')]);
    expect(again).not.toBe(ab);
    expect(again.toString()).toBe('ab');
  });

  it('keeps its own copy of the list: a caller that reuses its array does not change what is kept', () => {
    const a = Buffer.from('a');
    const b = Buffer.from('b');
    const parts = [a, b];
    const ab = joinShared(parts);
    parts[1] = a;
    expect(joinShared(parts).toString()).toBe('aa');
    expect(joinShared([a, b])).not.toBe(ab);
    expect(joinShared([a, b]).toString()).toBe('ab');
  });
});
