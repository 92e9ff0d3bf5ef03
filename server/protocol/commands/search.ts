// search: full-text search over the messages the caller can read, newest first,
// each with its conversation and a highlighted snippet (segments, never markup).
import { z } from 'zod';
import { defineCommand } from '../command';
import { ChatMessage, GroupName, MessageId, Timestamp, Username } from '../models';
import { MAX_SEARCH_LIMIT, MAX_SEARCH_QUERY_LENGTH, MAX_SEARCH_TERMS, searchTerms, type SearchConversation, type SnippetSegment } from '../search';
import { oneLine, type TimeFormatter } from '../text';

/** Where a found message lives (the SearchConversation type of ../search.ts). */
const SearchConversationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('private'), with: Username }),
  z.object({ kind: z.literal('group'), group: GroupName }),
  z.object({ kind: z.literal('everyone') }),
]) satisfies z.ZodType<SearchConversation>;
const SnippetSegmentSchema = z.object({ text: z.string(), match: z.boolean() });

const SearchHit = z.object({
  message: ChatMessage,
  conversation: SearchConversationSchema,
  /** An excerpt of the text around the first match; `match: true` segments are matched words. Render as text. */
  snippet: z.array(SnippetSegmentSchema),
});
export type SearchHit = z.infer<typeof SearchHit>;

/** `private, with bob` / `group team` / `broadcast`. */
function describeConversation(c: SearchConversation): string {
  if (c.kind === 'private') return `private, with ${c.with}`;
  return c.kind === 'group' ? `group ${c.group}` : 'broadcast';
}

/** A snippet on one line, matched words between asterisks: `say *hello* to`. */
function snippetLine(snippet: readonly SnippetSegment[]): string {
  return oneLine(snippet.map((s) => (s.match ? `*${s.text}*` : s.text)).join(''));
}

/** `#12 [14:02] bob (private, with bob): say *hello*` */
function formatHit(hit: SearchHit, time: TimeFormatter): string {
  const m = hit.message;
  const text = hit.snippet.length > 0 ? snippetLine(hit.snippet) : '';
  return `#${m.id} [${time(m.ts)}] ${m.from} (${describeConversation(hit.conversation)}): ${text}`;
}

/** Why a search request of the right shape cannot run, or null: no word, too many words, both filters, an empty time range. */
function searchProblem(r: { query: string; with?: string; group?: string; before?: number; after?: number }): string | null {
  const terms = searchTerms(r.query);
  if (terms.length === 0) return 'the query needs at least one word (letters or digits)';
  if (terms.length > MAX_SEARCH_TERMS) return `at most ${MAX_SEARCH_TERMS} words`;
  if (r.with !== undefined && r.group !== undefined) return 'give either "with" or "group", not both';
  if (r.before !== undefined && r.after !== undefined && r.after >= r.before) return '"after" must be earlier than "before"';
  return null;
}

/**
 * Messages the caller can read whose words start with every word of `query`
 * (any case, any order), newest first. Filters: `with` (a private conversation)
 * or `group`; `before` / `after` (timestamps, ms); `cursor` (only messages
 * with a smaller id: the previous page's `nextCursor`); `limit`.
 */
export const search = defineCommand({
  schema: z
    .strictObject({
      type: z.literal('search'),
      query: z.string().max(MAX_SEARCH_QUERY_LENGTH, `must be at most ${MAX_SEARCH_QUERY_LENGTH} characters`),
      with: Username.optional(),
      group: GroupName.optional(),
      before: Timestamp.optional(),
      after: Timestamp.optional(),
      cursor: MessageId.optional(),
      limit: z.number().int().min(1).max(MAX_SEARCH_LIMIT).optional(),
    })
    // Checked with the shape (before sign-in is), so every client refuses the same requests the server does.
    .superRefine((r, ctx) => {
      const problem = searchProblem(r);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem, path: [] });
    }),
  result: z.object({
    /** The words searched for, lower-cased, as the server read the query. */
    terms: z.array(z.string()),
    results: z.array(SearchHit),
    /** Pass as `cursor` for the next (older) page; null when there is none. */
    nextCursor: MessageId.nullable(),
  }),
  text: {
    words: ['search'],
    usage: 'search <words>',
    parse(rest) {
      const query = rest.trim();
      return query ? { query } : null;
    },
  },
  render: ({ results, nextCursor }, time) => {
    if (results.length === 0) return ['No messages match.'];
    const lines = [`Found ${results.length} message${results.length === 1 ? '' : 's'}, newest first:`, ...results.map((h) => formatHit(h, time))];
    if (nextCursor !== null) lines.push('More messages match: add words to narrow the search.');
    return lines;
  },
});
