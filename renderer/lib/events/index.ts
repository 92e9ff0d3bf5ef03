// Routes each server event to its handler. Events arrive already validated,
// acknowledged and de-duplicated by the ChatClient, in server order.
import type { EventFrame } from '../../../server/protocol';
import { handleGroup } from './group';
import { handleHello } from './hello';
import { handleMessage } from './message';
import { handleMessageChange } from './message-change';
import { handlePresence } from './presence';
import { handleRead } from './read';
import { handleProfile } from './profile';
import { handleShutdown } from './shutdown';
import { handleTyping } from './typing';

export function handleEvent(event: EventFrame): void {
  switch (event.event) {
    case 'hello':
      return handleHello(event);
    case 'message':
      return handleMessage(event);
    case 'presence':
      return handlePresence(event);
    case 'group':
      return handleGroup(event);
    case 'typing':
      return handleTyping(event);
    case 'read':
      return handleRead(event);
    case 'profile':
      return handleProfile(event);
    case 'edited':
    case 'deleted':
    case 'reaction':
      return handleMessageChange(event);
    case 'shutdown':
      return handleShutdown(event);
  }
}
