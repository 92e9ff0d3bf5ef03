// The message store as services read it: every message read back (the mailbox
// on sign-in and resume, history) carries its attachments, which the store keeps
// in tables of their own (file-store.ts). Writes pass through unchanged.
import type { MessageStore } from '../store/store';
import type { FileService } from './files';

export function withAttachments(messages: MessageStore, files: FileService): MessageStore {
  return {
    saveMessage: (message) => messages.saveMessage(message),
    async mailbox(query) {
      const list = await messages.mailbox(query);
      const filled = await files.withAttachments(list.map((d) => d.message));
      return list.map((d, i) => ({ ...d, message: filled[i]! }));
    },
    countMailbox: (query) => messages.countMailbox(query),
    head: () => messages.head(),
    lastAcked: (username) => messages.lastAcked(username),
    ack: (username, position) => messages.ack(username, position),
    signIn: (username) => messages.signIn(username),
    signOut: (username, acked) => messages.signOut(username, acked),
    lastAway: (username) => messages.lastAway(username),
    directPeers: (username) => messages.directPeers(username),
    async history(query) {
      return files.withAttachments(await messages.history(query));
    },
  };
}
