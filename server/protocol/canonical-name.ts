// The form under which user names are unique: `Alice`, `ALICE` and `alice` (and
// Unicode spellings that differ only by compatibility form) are one account.
// No imports: the SQLite writer thread bundles this file.

/**
 * A user name's canonical form: Unicode NFKC, then case folding (simple
 * lower-casing, which is full case folding for the ASCII names the protocol
 * allows), then NFKC again because lower-casing can denormalise.
 * Sign-in and every name lookup match on this form; the registered spelling
 * is what everyone sees.
 */
export function canonicalName(name: string): string {
  return name.normalize('NFKC').toLowerCase().normalize('NFKC');
}
