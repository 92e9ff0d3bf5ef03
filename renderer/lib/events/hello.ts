// `hello` event: first frame on every connection; names the server and says
// whether it lets clients register.
import type { EventOf } from '../../../server/protocol';
import { session } from '../state/session.svelte';

export function handleHello(event: EventOf<'hello'>): void {
  session.serverName = event.server;
  session.allowRegister = event.allowRegister;
}
