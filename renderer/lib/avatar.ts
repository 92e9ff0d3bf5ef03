// Initials avatars: the letters shown and a background colour derived from the
// username, so a person keeps their colour everywhere and on every device.

/**
 * Backgrounds for white initials. Each gives white text at least 4.5:1
 * contrast (WCAG AA for normal text), in both themes: the unit tests check it.
 */
export const AVATAR_COLOURS: readonly string[] = [
  '#b71c1c',
  '#ad1457',
  '#6a1b9a',
  '#4527a0',
  '#283593',
  '#1565c0',
  '#00695c',
  '#2e7d32',
  '#8a4b00',
  '#5d4037',
  '#455a64',
  '#00737f',
];

/** Text colour on every AVATAR_COLOURS background. */
export const AVATAR_TEXT = '#ffffff';

/** Stable colour for `username` (FNV-1a hash over its UTF-16 code units). */
export function avatarColour(username: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < username.length; i++) {
    hash ^= username.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return AVATAR_COLOURS[(hash >>> 0) % AVATAR_COLOURS.length] as string;
}

/** One or two capital letters: the first letters of the first two words ("Ada Lovelace" → "AL", "bob" → "B", "mary-jane" → "MJ"). */
export function initials(name: string): string {
  const words = name
    .trim()
    .split(/[\s._-]+/)
    .filter((w) => w.length > 0);
  const letters = words.slice(0, 2).map((w) => Array.from(w)[0] ?? '');
  return letters.join('').toLocaleUpperCase() || '?';
}

/** WCAG relative luminance of a #rrggbb colour. */
export function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** WCAG contrast ratio of two #rrggbb colours (1 to 21). */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** Keep a picture link this long before its signature expires rather than switch to a fresh one. */
const LINK_MARGIN_MS = 5 * 60_000;

/**
 * The picture link to keep: `next`, or `before` when both point at the same
 * picture and `before` is still valid for a while (every answer signs links
 * afresh; switching would download the same image again).
 */
export function steadyLink(before: string | null | undefined, next: string | null, now = Date.now()): string | null {
  if (!before || !next || before.split('?')[0] !== next.split('?')[0]) return next;
  const expires = Number(/[?&]expires=(\d+)/.exec(before)?.[1] ?? 0);
  return expires - now > LINK_MARGIN_MS ? before : next;
}
