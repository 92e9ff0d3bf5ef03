// Message text → a small tree of formatting nodes: fenced code blocks, inline
// `code`, **bold**, _italics_, http(s) links and @mentions. Components render
// the tree with ordinary elements and text nodes, never as HTML, so no message
// can inject markup: the only attribute taken from user text is a link's href,
// and that is always a URL this module parsed and found to be http: or https:.
// Pure TypeScript, unit-tested.
import { NAME_PATTERN } from '../../server/protocol';

export type Inline =
  | { kind: 'text'; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'link'; href: string; text: string }
  | { kind: 'mention'; name: string }
  | { kind: 'bold'; children: Inline[] }
  | { kind: 'italic'; children: Inline[] };

export type Block = { kind: 'paragraph'; children: Inline[] } | { kind: 'codeblock'; text: string };

/** ``` on its own, an optional language word, then everything up to the next ``` (or the end). */
const FENCE = /```[^\S\n]*[\w+.-]*[^\S\n]*\n?([\s\S]*?)(?:\n?```|$)/g;

/**
 * One alternative per inline form, tried leftmost first: `code` (no line break
 * inside), a URL, **bold**, _italic_ (underscores inside words, as in
 * snake_case names, are left alone), @name.
 */
const INLINE =
  /(`[^`\n]+`)|(\bhttps?:\/\/[^\s<>"`]+)|(\*\*(?=\S)[\s\S]*?\S\*\*)|((?<![\p{L}\p{N}_])_(?=\S)[^_\n]*?\S_(?![\p{L}\p{N}_]))|((?<![\p{L}\p{N}_.@-])@[A-Za-z0-9][A-Za-z0-9_.-]{0,31})/gu;

/** Trailing punctuation that ends a sentence rather than a URL. */
const URL_TAIL = /[.,;:!?'")\]]+$/;

/**
 * The link's href when `raw` is an http(s) URL without a user name or password,
 * else null. Credentials are refused because they disguise the real host:
 * "https://bank@evil.example" reads as the bank but goes to evil.example.
 */
export function safeHref(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.username !== '' || url.password !== '') return null;
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
}

function pushText(out: Inline[], text: string): void {
  if (text === '') return;
  const last = out.at(-1);
  if (last?.kind === 'text') out[out.length - 1] = { kind: 'text', text: last.text + text };
  else out.push({ kind: 'text', text });
}

/** Splits a URL match from the punctuation after it; keeps a ")" that closes a "(" inside the URL. */
function trimUrl(match: string): [string, string] {
  let url = match.replace(URL_TAIL, '');
  let tail = match.slice(url.length);
  while (tail.startsWith(')') && (url.match(/\(/g)?.length ?? 0) > (url.match(/\)/g)?.length ?? 0)) {
    url += ')';
    tail = tail.slice(1);
  }
  return [url, tail];
}

/** Inline nodes of `text` (no code fences in it). */
export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let at = 0;
  for (const m of text.matchAll(INLINE)) {
    const start = m.index;
    const [whole, code, url, bold, italic, mention] = m;
    pushText(out, text.slice(at, start));
    at = start + whole.length;
    if (code !== undefined) {
      out.push({ kind: 'code', text: code.slice(1, -1) });
    } else if (url !== undefined) {
      const [link, tail] = trimUrl(url);
      const href = safeHref(link);
      if (href) out.push({ kind: 'link', href, text: link });
      else pushText(out, link);
      pushText(out, tail);
    } else if (bold !== undefined) {
      out.push({ kind: 'bold', children: parseInline(bold.slice(2, -2)) });
    } else if (italic !== undefined) {
      out.push({ kind: 'italic', children: parseInline(italic.slice(1, -1)) });
    } else if (mention !== undefined) {
      // A name may hold dots, but one at the end closes a sentence ("thanks @bob.").
      const name = mention.slice(1).replace(/[.-]+$/, '');
      if (NAME_PATTERN.test(name)) out.push({ kind: 'mention', name });
      else pushText(out, '@' + name);
      pushText(out, mention.slice(1 + name.length));
    }
  }
  pushText(out, text.slice(at));
  return out;
}

/** The whole message: paragraphs (line breaks kept as text) and code blocks, in order. */
export function parseMessage(text: string): Block[] {
  const blocks: Block[] = [];
  let at = 0;
  const paragraph = (s: string) => {
    const trimmed = s.replace(/^\n/, '').replace(/\n$/, '');
    if (trimmed !== '') blocks.push({ kind: 'paragraph', children: parseInline(trimmed) });
  };
  for (const m of text.matchAll(FENCE)) {
    paragraph(text.slice(at, m.index));
    blocks.push({ kind: 'codeblock', text: m[1] ?? '' });
    at = m.index + m[0].length;
  }
  paragraph(text.slice(at));
  return blocks;
}
