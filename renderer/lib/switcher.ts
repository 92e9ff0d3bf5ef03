// The quick switcher's matching: every conversation and person it can jump to,
// filtered and ranked by what was typed. Pure TypeScript, unit-tested.

export interface SwitchTarget {
  /** Conversation key: `everyone`, `u:<user>` or `g:<group>`. */
  key: string;
  /** What the list shows and what typing matches: "Everyone", a username or a group name. */
  label: string;
  kind: 'everyone' | 'direct' | 'group';
  /** An open conversation (in the sidebar) rather than a person or group to start one with. */
  open: boolean;
}

/** Most rows the switcher lists. */
export const MAX_SWITCH_RESULTS = 20;

/**
 * Targets whose label contains `query` (any case), best first: labels that
 * start with it, then open conversations before the rest, then by label.
 * An empty query lists the open conversations first, in the order given.
 */
export function matchTargets(targets: readonly SwitchTarget[], query: string, max = MAX_SWITCH_RESULTS): SwitchTarget[] {
  const q = query.trim().toLowerCase();
  const seen = new Set<string>();
  const unique = targets.filter((t) => !seen.has(t.key) && seen.add(t.key));
  if (q === '') return [...unique.filter((t) => t.open), ...unique.filter((t) => !t.open)].slice(0, max);
  const rank = (t: SwitchTarget) => (t.label.toLowerCase().startsWith(q) ? 0 : 2) + (t.open ? 0 : 1);
  return unique
    .filter((t) => t.label.toLowerCase().includes(q))
    .map((t, i) => ({ t, i, r: rank(t) }))
    .sort((a, b) => a.r - b.r || a.t.label.localeCompare(b.t.label) || a.i - b.i)
    .map(({ t }) => t)
    .slice(0, max);
}
