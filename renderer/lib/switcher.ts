// The quick switcher's matching: every conversation and person it can jump to,
// filtered and ranked by what was typed. Pure TypeScript, unit-tested.

export interface SwitchTarget {
  /** Conversation key: `everyone`, `u:<user>` or `g:<group>`. */
  key: string;
  /** What the list shows and what typing matches: "Everyone", a username or a group name. */
  label: string;
  /** A person's display name, when they set one: typing matches it too. */
  displayName?: string | undefined;
  kind: 'everyone' | 'direct' | 'group';
  /** An open conversation (in the sidebar) rather than a person or group to start one with. */
  open: boolean;
}

/** Most rows the switcher lists. */
export const MAX_SWITCH_RESULTS = 20;

/**
 * Targets whose label or display name contains `query` (any case), best
 * first: names that start with it (or with a word of it, for display names),
 * then open conversations before the rest, then by label.
 * An empty query lists the open conversations first, in the order given.
 */
export function matchTargets(targets: readonly SwitchTarget[], query: string, max = MAX_SWITCH_RESULTS): SwitchTarget[] {
  const q = query.trim().toLowerCase();
  const seen = new Set<string>();
  const unique = targets.filter((t) => !seen.has(t.key) && seen.add(t.key));
  if (q === '') return [...unique.filter((t) => t.open), ...unique.filter((t) => !t.open)].slice(0, max);
  const names = (t: SwitchTarget) => (t.displayName ? [t.label.toLowerCase(), t.displayName.toLowerCase()] : [t.label.toLowerCase()]);
  const startsAWord = (name: string) => name.startsWith(q) || name.split(/\s+/).some((w) => w.startsWith(q));
  const rank = (t: SwitchTarget) => (names(t).some(startsAWord) ? 0 : 2) + (t.open ? 0 : 1);
  return unique
    .filter((t) => names(t).some((name) => name.includes(q)))
    .map((t, i) => ({ t, i, r: rank(t) }))
    .sort((a, b) => a.r - b.r || a.t.label.localeCompare(b.t.label) || a.i - b.i)
    .map(({ t }) => t)
    .slice(0, max);
}
