// `shutdown` event: the server is going away; the client reconnects by itself.
import type { EventOf } from '../../../server/protocol';
import { notices } from '../state/notices.svelte';

export function handleShutdown(event: EventOf<'shutdown'>): void {
  notices.info(`The server is shutting down (${event.reason}). Reconnecting when it is back.`);
}
