// Holds the ChatClient picked at startup so actions can reach it; components
// never import this, they call actions.
import type { ChatClient } from '../client/client';

let current: ChatClient | null = null;

export function setClient(client: ChatClient): void {
  current = client;
}

/** The active client; throws before startup has chosen one (a programming error). */
export function client(): ChatClient {
  if (!current) throw new Error('ChatClient used before startup');
  return current;
}
