// Fan-out encodes a message body once per wire format, however many
// recipients: OutboundMessage caches each encoding by key.
import { describe, expect, it } from 'vitest';
import { OutboundMessage } from '../../../server/connection';
import type { ChatMessage } from '../../../server/protocol';

describe('OutboundMessage', () => {
  const message: ChatMessage = { id: 7, kind: 'broadcast', from: 'alice', text: 'hi', ts: 0 };

  it('runs each encoder once per key and hands every recipient the same string', () => {
    const out = new OutboundMessage(message);
    let json = 0;
    let text = 0;
    const encodeJson = (m: ChatMessage) => (json++, JSON.stringify(m));
    const encodeText = (m: ChatMessage) => (text++, `${m.from}: ${m.text}`);
    const bodies = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? out.encoded('json', encodeJson) : out.encoded('text', encodeText)));
    expect(json).toBe(1);
    expect(text).toBe(1);
    expect(new Set(bodies)).toEqual(new Set([JSON.stringify(message), 'alice: hi']));
  });

  it('keeps each unit by key, the first and any later ones alike', () => {
    const out = new OutboundMessage(message);
    expect(out.unit('text')).toBeUndefined();
    const line = out.keep('text', Buffer.from('#7 hi\n'));
    const offline = out.keep('text offline', Buffer.from('#7 hi (offline)\n'));
    const frame = out.keep('ws', Buffer.from('{}'));
    expect(out.unit('text')).toBe(line);
    expect(out.unit('text offline')).toBe(offline);
    expect(out.unit('ws')).toBe(frame);
    expect(out.unit('ws offline')).toBeUndefined();
  });
});
