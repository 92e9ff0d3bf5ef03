// Messages typed while offline, as the client's outbox reports them (oldest
// first). They are shown in their conversation with "waiting to send".
import type { OutboxItem } from '../client/client';
import { keyOfCommand } from './conversations.svelte';

class OutboxStore {
  items = $state.raw<OutboxItem[]>([]);
  count = $derived(this.items.length);

  /** Items waiting for one conversation, oldest first. */
  forConversation(key: string): OutboxItem[] {
    return this.items.filter((item) => keyOfCommand(item.command) === key);
  }
}

export const outbox = new OutboxStore();
