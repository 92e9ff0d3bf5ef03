// A connection's output of one turn: one chunk kept as it is, an array only
// from the second, chunks in order, and a dropped turn (an empty array) starts over.
import { describe, expect, it } from 'vitest';
import { appendChunk, type TurnOutput } from '../../../server/transport/cork';

describe('appendChunk', () => {
  it('keeps chunks in order, making an array only for the second', () => {
    const first = Buffer.from('a\n');
    let out: TurnOutput<string | Buffer> = first;
    expect(out).toBe(first);
    out = appendChunk<string | Buffer>(out, 'b\n');
    expect(out).toEqual([first, 'b\n']);
    const array = out;
    out = appendChunk<string | Buffer>(out, 'c\n');
    expect(out).toBe(array);
    expect(out).toEqual([first, 'b\n', 'c\n']);
  });

  it('after a dropped turn, the next chunk is the only one', () => {
    expect(appendChunk<string>([], 'x')).toBe('x');
  });
});
