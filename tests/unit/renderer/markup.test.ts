// Message formatting: what each form turns into, what stays plain text, and
// that no input yields a link other than http(s) (the XSS guard of RichText).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mentionedNames } from '../../../server/protocol';
import { parseInline, parseMessage, safeHref, type Inline } from '../../../renderer/lib/markup';

const text = (t: string): Inline => ({ kind: 'text', text: t });

describe('parseInline', () => {
  it('plain text stays one text node', () => {
    expect(parseInline('hello there, 2 * 3 = 6')).toEqual([text('hello there, 2 * 3 = 6')]);
  });

  it('inline code keeps its content literally (no formatting inside)', () => {
    expect(parseInline('run `npm **test** <b>` now')).toEqual([text('run '), { kind: 'code', text: 'npm **test** <b>' }, text(' now')]);
  });

  it('bold and italics, nested, with underscores inside words left alone', () => {
    expect(parseInline('**big _and_ bold** and _slanted_')).toEqual([
      { kind: 'bold', children: [text('big '), { kind: 'italic', children: [text('and')] }, text(' bold')] },
      text(' and '),
      { kind: 'italic', children: [text('slanted')] },
    ]);
    expect(parseInline('call snake_case_name here')).toEqual([text('call snake_case_name here')]);
    expect(parseInline('** not bold ** and _ not italic _')).toEqual([text('** not bold ** and _ not italic _')]);
  });

  it('http(s) links, without the punctuation that ends the sentence', () => {
    expect(parseInline('see https://example.com/a?b=1&c=2. ok')).toEqual([
      text('see '),
      { kind: 'link', href: 'https://example.com/a?b=1&c=2', text: 'https://example.com/a?b=1&c=2' },
      text('. ok'),
    ]);
    expect(parseInline('(http://en.wikipedia.org/wiki/Foo_(bar))')).toEqual([
      text('('),
      { kind: 'link', href: 'http://en.wikipedia.org/wiki/Foo_(bar)', text: 'http://en.wikipedia.org/wiki/Foo_(bar)' },
      text(')'),
    ]);
  });

  it('other schemes are never links', () => {
    for (const s of ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'file:///etc/passwd', 'ftp://x.org', 'vbscript:msgbox']) {
      expect(parseInline(s).some((n) => n.kind === 'link')).toBe(false);
    }
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('https://ok.example/')).toBe('https://ok.example/');
    expect(safeHref('not a url')).toBeNull();
  });

  it('an address with a user name or password in it is not a link (it disguises the host)', () => {
    for (const s of ['https://bank@evil.example', 'http://user:pw@evil.example/x', 'https://:pw@evil.example']) {
      expect(safeHref(s)).toBeNull();
      expect(parseInline(s)).toEqual([{ kind: 'text', text: s }]);
    }
    expect(safeHref('https://evil.example/@bob')).toBe('https://evil.example/@bob');
  });

  it('@mentions, but not e-mail addresses; a trailing dot ends the sentence', () => {
    expect(parseInline('thanks @bob.')).toEqual([text('thanks '), { kind: 'mention', name: 'bob' }, text('.')]);
    expect(parseInline('@alice.smith and @carol_2')).toEqual([{ kind: 'mention', name: 'alice.smith' }, text(' and '), { kind: 'mention', name: 'carol_2' }]);
    expect(parseInline('mail bob@example.com')).toEqual([text('mail bob@example.com')]);
  });
});

describe('parseMessage', () => {
  it('fenced code blocks become blocks; text around them paragraphs', () => {
    expect(parseMessage('before\n```js\nconst a = "<b>";\n```\nafter')).toEqual([
      { kind: 'paragraph', children: [text('before')] },
      { kind: 'codeblock', text: 'const a = "<b>";' },
      { kind: 'paragraph', children: [text('after')] },
    ]);
    expect(parseMessage('```\nunclosed **x**')).toEqual([{ kind: 'codeblock', text: 'unclosed **x**' }]);
  });

  it('mentionedNames (the protocol reading) lists each name once, outside code, like the highlighting', () => {
    expect(mentionedNames('@bob hi @carol and @bob again `@dave` **@erin**, thanks @fred.')).toEqual(['bob', 'carol', 'erin', 'fred']);
    expect(mentionedNames('```\n@alice\n```')).toEqual([]);
    expect(mentionedNames('mail bob@example.com')).toEqual([]);
    const highlighted = (t: string) =>
      parseMessage(t)
        .flatMap((b) => (b.kind === 'paragraph' ? b.children : []))
        .flatMap((n) =>
          n.kind === 'mention' ? [n.name] : n.kind === 'bold' || n.kind === 'italic' ? n.children.filter((c) => c.kind === 'mention').map((c) => c.name) : [],
        );
    for (const t of ['@bob and @carol.', 'x `@a` @b', '**@erin** and @fred', 'a@b @c-']) expect([...new Set(highlighted(t))]).toEqual(mentionedNames(t));
  });

  it('never throws and only ever links http(s) URLs', () => {
    const pieces = fc.constantFrom('**', '_', '`', '```', '@bob', 'http://', 'https://', 'javascript:', '<script>', '(', ')', '.', ' ', '\n', 'a', 'x_y');
    fc.assert(
      fc.property(fc.array(fc.oneof(pieces, fc.string()), { maxLength: 30 }), (parts) => {
        const blocks = parseMessage(parts.join(''));
        const links: string[] = [];
        const walk = (nodes: Inline[]) => {
          for (const n of nodes) {
            if (n.kind === 'link') links.push(n.href);
            if (n.kind === 'bold' || n.kind === 'italic') walk(n.children);
          }
        };
        for (const b of blocks) if (b.kind === 'paragraph') walk(b.children);
        for (const href of links) expect(href).toMatch(/^https?:\/\//);
      }),
    );
  });
});
