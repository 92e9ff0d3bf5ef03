// Message search, the parts every backend and client share: how a query is
// split into words, what "matches" means, and the highlighted snippet. Pure
// TypeScript (no zod), so the stores and the SQLite reader may load it.
//
// Matching, the same on every backend as far as their tokenizers allow:
// - A query is its words: runs of letters, digits and combining marks. Every
//   other character (quotes, `*`, `(`, `-`, `:`) only separates words, so a
//   query can never carry full-text syntax (FTS5 or tsquery operators).
// - A message matches when every query word starts a word of its text, in any
//   case (`hel` finds "Hello"); the words may come in any order.

/** Longest query accepted, in characters. */
export const MAX_SEARCH_QUERY_LENGTH = 200;

/** Most words a query may hold. */
export const MAX_SEARCH_TERMS = 16;

/** Results per page: default and maximum. */
export const DEFAULT_SEARCH_LIMIT = 20;
export const MAX_SEARCH_LIMIT = 100;

/** Characters of message text a snippet shows at most (plus "…" at a cut end). */
export const SNIPPET_CHARS = 160;

/** Where a found message lives, as the reader sees it: a private conversation, a group, or Everyone (broadcasts). */
export type SearchConversation = { kind: 'private'; with: string } | { kind: 'group'; group: string } | { kind: 'everyone' };

/** One piece of a snippet: plain text, or a word that matched the query. */
export interface SnippetSegment {
  text: string;
  match: boolean;
}

const WORD = /[\p{L}\p{N}\p{M}]+/gu;

/** The words of `text` with their offsets (UTF-16), in order. */
function wordsOf(text: string): { word: string; start: number; end: number }[] {
  const out: { word: string; start: number; end: number }[] = [];
  for (const m of text.matchAll(WORD)) out.push({ word: m[0], start: m.index, end: m.index + m[0].length });
  return out;
}

/** The search words of a query, lower-cased, without repeats, in order. Empty when it holds no letter or digit. */
export function searchTerms(query: string): string[] {
  const seen = new Set<string>();
  for (const { word } of wordsOf(query)) seen.add(word.toLowerCase());
  return [...seen];
}

/** True when every term starts some word of `text` (case-insensitive). An empty term list matches nothing. */
export function matchesTerms(text: string, terms: readonly string[]): boolean {
  if (terms.length === 0) return false;
  const words = wordsOf(text).map((w) => w.word.toLowerCase());
  return terms.every((term) => words.some((word) => word.startsWith(term)));
}

/**
 * The text around the first match, as segments: words that start with a query
 * term are `match: true`, everything else `match: false`. Joined, the segments
 * give an excerpt of about SNIPPET_CHARS characters of the text (whole when
 * short enough; cut at word boundaries), with "…" where it was cut. Clients render the segments as text
 * (never as markup), so a message's `<` or `&` stays what it is.
 */
export function buildSnippet(text: string, terms: readonly string[], maxChars: number = SNIPPET_CHARS): SnippetSegment[] {
  const flat = text.replace(/\s+/g, ' ').trim();
  const words = wordsOf(flat);
  const hits = words.filter((w) => terms.some((t) => w.word.toLowerCase().startsWith(t)));
  let start = 0;
  let end = flat.length;
  if (flat.length > maxChars) {
    // Open a little before the first match so it reads in context, at a word start.
    const first = hits[0]?.start ?? 0;
    start = Math.max(0, Math.min(first - Math.floor(maxChars / 4), flat.length - maxChars));
    const inside = words.find((w) => w.start < start && w.end > start);
    if (inside) start = words.find((w) => w.start >= inside.end)?.start ?? inside.start;
    end = Math.min(flat.length, start + maxChars);
    // Close at a word end: a word cut in two goes, except a matched one, which stays whole.
    const cut = words.find((w) => w.start < end && w.end > end);
    if (cut) end = hits.includes(cut) ? cut.end : cut.start;
    while (end > start && flat[end - 1] === ' ') end--;
  }
  const segments: SnippetSegment[] = [];
  const push = (piece: string, match: boolean) => {
    if (piece === '') return;
    const last = segments.at(-1);
    if (last && last.match === match && !match) last.text += piece;
    else segments.push({ text: piece, match });
  };
  if (start > 0) push('…', false);
  let at = start;
  for (const hit of hits) {
    if (hit.end <= start || hit.start >= end) continue;
    const from = Math.max(hit.start, start);
    push(flat.slice(at, from), false);
    push(flat.slice(from, Math.min(hit.end, end)), true);
    at = Math.min(hit.end, end);
  }
  push(flat.slice(at, end), false);
  if (end < flat.length) push('…', false);
  return segments;
}

/**
 * The query as an FTS5 MATCH expression: each term a quoted string with a
 * prefix star (`"hel"* "wor"*`), so nothing the user typed is read as FTS5
 * syntax. Terms hold only letters, digits and marks; quotes are doubled anyway.
 */
export function fts5Match(terms: readonly string[]): string {
  return terms.map((t) => `"${t.replaceAll('"', '""')}"*`).join(' ');
}

/**
 * The query as a PostgreSQL tsquery text for to_tsquery('simple', ...): each
 * term quoted as a prefix lexeme, all of them required (`'hel':* & 'wor':*`).
 */
export function tsqueryText(terms: readonly string[]): string {
  return terms.map((t) => `'${t.replaceAll("'", "''").replaceAll('\\', '\\\\')}':*`).join(' & ');
}
