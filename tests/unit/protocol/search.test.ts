// The shared search rules: a query's words, what matches, the snippet's
// segments, and the escaping of the two full-text dialects.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSnippet, fts5Match, matchesTerms, searchTerms, SNIPPET_CHARS, tsqueryText } from '../../../server/protocol/search';

describe('searchTerms', () => {
  it('keeps runs of letters and digits, lower-cased, without repeats; everything else separates', () => {
    expect(searchTerms('Hello, WORLD hello')).toEqual(['hello', 'world']);
    expect(searchTerms('"foo')).toEqual(['foo']);
    expect(searchTerms('AND OR (')).toEqual(['and', 'or']);
    expect(searchTerms('NEAR(a b)* -c ^d x:y')).toEqual(['near', 'a', 'b', 'c', 'd', 'x', 'y']);
    expect(searchTerms('snake_case e-mail')).toEqual(['snake', 'case', 'e', 'mail']);
    expect(searchTerms('Grüße 東京 Ünïcode')).toEqual(['grüße', '東京', 'ünïcode']);
    expect(searchTerms('( ) " * ')).toEqual([]);
  });
});

describe('matchesTerms', () => {
  it('needs every term to start a word, in any case and order', () => {
    expect(matchesTerms('Hello World', ['wor', 'hel'])).toBe(true);
    expect(matchesTerms('Hello World', ['ello'])).toBe(false);
    expect(matchesTerms('Hello World', ['hello', 'mars'])).toBe(false);
    expect(matchesTerms('anything', [])).toBe(false);
    expect(matchesTerms('', ['a'])).toBe(false);
  });
});

describe('buildSnippet', () => {
  const joined = (segments: { text: string }[]) => segments.map((s) => s.text).join('');

  it('marks whole words that start with a term and keeps the rest as text', () => {
    expect(buildSnippet('Say hello, Hellos!', ['hell'])).toEqual([
      { text: 'Say ', match: false },
      { text: 'hello', match: true },
      { text: ', ', match: false },
      { text: 'Hellos', match: true },
      { text: '!', match: false },
    ]);
    expect(buildSnippet('<img src=x onerror=alert(1)>', ['img'])).toEqual([
      { text: '<', match: false },
      { text: 'img', match: true },
      { text: ' src=x onerror=alert(1)>', match: false },
    ]);
    expect(buildSnippet('no match here', ['zzz'])).toEqual([{ text: 'no match here', match: false }]);
    expect(buildSnippet('', ['a'])).toEqual([]);
  });

  it('shows a window around the first match of a long text, cut with "…", line breaks as spaces', () => {
    const long = `${'lorem ipsum '.repeat(40)}needle\nin the haystack ${'dolor sit '.repeat(40)}`;
    const snippet = buildSnippet(long, ['needle']);
    const all = joined(snippet);
    expect(all.startsWith('…') && all.endsWith('…')).toBe(true);
    expect(snippet.filter((s) => s.match)).toEqual([{ text: 'needle', match: true }]);
    const body = all.slice(1, -1);
    expect(body.length).toBeLessThanOrEqual(SNIPPET_CHARS);
    expect(body).toContain('needle in the haystack');
    expect(body.startsWith('ipsum') || body.startsWith('lorem')).toBe(true);
  });

  it('is always a piece of the text (whitespace folded), with matches only on terms', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), fc.array(fc.stringMatching(/^[a-z0-9]{1,5}$/), { minLength: 1, maxLength: 3 }), (text, terms) => {
        const snippet = buildSnippet(text, terms);
        const flat = text.replace(/\s+/g, ' ').trim();
        const body = joined(snippet).replace(/^…/, '').replace(/…$/, '');
        expect(flat).toContain(body);
        for (const s of snippet) if (s.match) expect(terms.some((t) => s.text.toLowerCase().startsWith(t))).toBe(true);
      }),
    );
  });
});

describe('full-text dialects', () => {
  it('quote every term, so no user input is read as syntax', () => {
    expect(fts5Match(['hel', 'and'])).toBe('"hel"* "and"*');
    expect(fts5Match(['a"b'])).toBe('"a""b"*');
    expect(tsqueryText(['hel', 'or'])).toBe("'hel':* & 'or':*");
    expect(tsqueryText(["it's", 'a\\b'])).toBe("'it''s':* & 'a\\\\b':*");
  });
});
