// The check behind the migration that makes user names unique by canonical
// form, written once for both SQL backends: each reads the names, this decides.
import { canonicalName } from '../protocol/canonical-name';

/**
 * The operator's error when some of `names` share a canonical form, or null
 * when all are distinct. Each clash lists its spellings in input order (the
 * callers read them oldest first); clashes appear in order of first spelling.
 */
export function nameClashReport(names: readonly string[]): string | null {
  const byKey = new Map<string, string[]>();
  for (const name of names) {
    const key = canonicalName(name);
    byKey.set(key, [...(byKey.get(key) ?? []), name]);
  }
  const clashes = [...byKey.values()].filter((group) => group.length > 1);
  if (clashes.length === 0) return null;
  const list = clashes.map((group) => group.map((n) => `"${n}"`).join(' and ')).join('; ');
  return (
    `user names must be unique ignoring case and Unicode form, but these accounts clash: ${list}. ` +
    'Nothing was changed. Rename or delete all but one of each (see the README, "Canonical user names"), then start again.'
  );
}
