// The message store as services read it: every message read back (replays,
// the offline list, history) carries its attachments, which the store keeps
// in tables of their own (file-store.ts). Writes pass through unchanged.
import type { MessageStore } from '../store/store';
import type { FileService } from './files';

export function withAttachments(messages: MessageStore, files: FileService): MessageStore {
  return {
    saveMessage: (message, recipients) => messages.saveMessage(message, recipients),
    lastSeq: (username) => messages.lastSeq(username),
    lastAcked: (username) => messages.lastAcked(username),
    ack: (username, seq) => messages.ack(username, seq),
    countOfflineAfter: (username, afterSeq) => messages.countOfflineAfter(username, afterSeq),
    async deliveriesAfter(username, afterSeq, limit) {
      const list = await messages.deliveriesAfter(username, afterSeq, limit);
      const filled = await files.withAttachments(list.map((d) => d.message));
      return list.map((d, i) => ({ ...d, message: filled[i]! }));
    },
    async offlineDeliveries(username, limit) {
      const list = await messages.offlineDeliveries(username, limit);
      const filled = await files.withAttachments(list.map((d) => d.message));
      return list.map((d, i) => ({ ...d, message: filled[i]! }));
    },
    async history(query) {
      return files.withAttachments(await messages.history(query));
    },
  };
}
