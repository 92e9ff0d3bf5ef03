// Initials avatars: stable colours with readable (WCAG AA) white initials, and
// the letters taken from a name; which picture link to keep.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AVATAR_COLOURS, AVATAR_TEXT, avatarColour, contrast, initials, steadyLink } from '../../../renderer/lib/avatar';

describe('avatars', () => {
  it('every background gives the initials at least 4.5:1 contrast', () => {
    for (const colour of AVATAR_COLOURS) expect(contrast(colour, AVATAR_TEXT), colour).toBeGreaterThanOrEqual(4.5);
  });

  it('computes WCAG contrast like the reference values', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });

  it('gives a name the same colour every time, from the palette', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 32 }), (name) => {
        expect(avatarColour(name)).toBe(avatarColour(name));
        expect(AVATAR_COLOURS).toContain(avatarColour(name));
      }),
    );
    // Different people mostly look different.
    const used = new Set(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'].map(avatarColour));
    expect(used.size).toBeGreaterThanOrEqual(5);
  });

  it('takes up to two initials from the words of a name', () => {
    expect(initials('bob')).toBe('B');
    expect(initials('Ada Lovelace')).toBe('AL');
    expect(initials('mary-jane_watson')).toBe('MJ');
    expect(initials('  ')).toBe('?');
    expect(initials('élodie')).toBe('É');
  });
});

describe('steadyLink', () => {
  const now = 1_000_000_000;
  const link = (id: string, expires: number) => `/api/files/${id}/thumbnail?expires=${expires}&sig=s${expires}`;
  it('keeps a link to the same picture while it has more than five minutes left, else takes the fresh one', () => {
    expect(steadyLink(link('a', now + 3_600_000), link('a', now + 7_200_000), now)).toBe(link('a', now + 3_600_000));
    expect(steadyLink(link('a', now + 60_000), link('a', now + 3_600_000), now)).toBe(link('a', now + 3_600_000));
  });
  it('takes the new link for another picture, a first picture or none', () => {
    expect(steadyLink(link('a', now + 3_600_000), link('b', now + 3_600_000), now)).toBe(link('b', now + 3_600_000));
    expect(steadyLink(undefined, link('a', now), now)).toBe(link('a', now));
    expect(steadyLink(link('a', now + 3_600_000), null, now)).toBeNull();
  });
});
