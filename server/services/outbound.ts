// A stored message prepared for fan-out: each wire format encodes the body at
// most once, however many recipients it goes to (Ergo's message cache idea).
import { encodeMessageBody, type ChatMessage } from '../protocol';
import type { StoredMessage } from '../store/store';

export class OutboundMessage {
  readonly message: ChatMessage;
  private json: string | undefined;

  constructor(stored: StoredMessage) {
    this.message = toChatMessage(stored);
  }

  /** JSON of the message body, encoded on first use. */
  get jsonBody(): string {
    return (this.json ??= encodeMessageBody(this.message));
  }
}

/** Store model → wire model (drops fields that don't apply to the kind). */
export function toChatMessage(m: StoredMessage): ChatMessage {
  const out: ChatMessage = { id: m.id, kind: m.kind, from: m.from, text: m.text, ts: m.ts };
  if (m.kind === 'private' && m.to !== undefined) out.to = m.to;
  if (m.kind === 'group' && m.group !== undefined) out.group = m.group;
  return out;
}
