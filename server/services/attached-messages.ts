// The message store as services read it: every message read back (the mailbox
// on sign-in and resume, history) carries its attachments, which the store keeps
// in tables of their own (file-store.ts). Writes pass through unchanged (a
// message and its files are stored together by saveMessage).
import type { MessageStore } from '../store/store';
import type { FileService } from './files';

export function withAttachments(messages: MessageStore, files: FileService): MessageStore {
  return {
    saveMessage: (message, files) => messages.saveMessage(message, files),
    async saveMessageOnce(message, clientKey, carried) {
      const saved = await messages.saveMessageOnce(message, clientKey, carried);
      // A new message is described by the sender's files (delivery.ts); a repeat is read back.
      return saved.repeat ? { ...saved, message: (await files.withAttachments([saved.message]))[0]! } : saved;
    },
    async messageByClientKey(sender, clientKey) {
      const found = await messages.messageByClientKey(sender, clientKey);
      return found && { ...found, message: (await files.withAttachments([found.message]))[0]! };
    },
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
    async conversations(query) {
      const list = await messages.conversations(query);
      const withLast = list.filter((c) => c.lastMessage !== null);
      const filled = await files.withAttachments(withLast.map((c) => c.lastMessage!));
      const byId = new Map(filled.map((m) => [m.id, m]));
      return list.map((c) => (c.lastMessage ? { ...c, lastMessage: byId.get(c.lastMessage.id) ?? c.lastMessage } : c));
    },
    markRead: (username, target, position) => messages.markRead(username, target, position),
    setReadReceipts: (username, on) => messages.setReadReceipts(username, on),
    readReceiptsOff: (usernames) => messages.readReceiptsOff(usernames),
    async search(query) {
      return files.withAttachments(await messages.search(query));
    },
    async getMessage(id) {
      const found = await messages.getMessage(id);
      return found && { ...found, message: (await files.withAttachments([found.message]))[0]! };
    },
    async editMessage(id, text, at) {
      const edited = await messages.editMessage(id, text, at);
      return edited && (await files.withAttachments([edited]))[0]!;
    },
    // A tombstone carries no files: nothing to add.
    deleteMessage: (id, at) => messages.deleteMessage(id, at),
    toggleReaction: (id, username, emoji, at) => messages.toggleReaction(id, username, emoji, at),
  };
}
