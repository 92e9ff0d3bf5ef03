// The columns every read of a message selects, in the order MessageRow
// (statements.ts) names them: readers build ChatMessages from all of them
// (rows.ts), so a statement that leaves one out would misread the message.
export const MESSAGE_COLUMNS = 'id, kind, sender, recipient, group_name, text, ts, reply_to, edited_at, deleted_at';
/** The same, for queries that name the messages table `m`. */
export const M_COLUMNS = 'm.id, m.kind, m.sender, m.recipient, m.group_name, m.text, m.ts, m.reply_to, m.edited_at, m.deleted_at';
