// Every wire command, keyed by its `type`. The order is the order of `help`.
// Adding a command: define it in the module of its family (schema, result,
// text syntax, renderer), list it here, and give it a handler in
// server/commands/index.ts; the compiler points at whatever is missing.
import { login, logout, register } from './auth';
import { block, blocklist, unblock } from './blocks';
import { conversations, read, settings } from './conversations';
import { fileToken } from './files';
import { createGroup, groupAdd, grouplist, groupLeave, groupRemove } from './groups';
import { ack, help, history, offline } from './mailbox';
import { broadcast, deleteMessage, edit, message, messageGroup, react, reply } from './messaging';
import { typing, users } from './people';
import { search } from './search';
import { ping, watch, whoelse, wholasthr } from './presence';
import { profile, profiles } from './profiles';

export const wireCommands = {
  login,
  register,
  message,
  'message-group': messageGroup,
  broadcast,
  reply,
  edit,
  delete: deleteMessage,
  react,
  whoelse,
  wholasthr,
  block,
  unblock,
  blocklist,
  ping,
  watch,
  users,
  profile,
  profiles,
  typing,
  offline,
  'create-group': createGroup,
  'group-add': groupAdd,
  'group-remove': groupRemove,
  'group-leave': groupLeave,
  grouplist,
  history,
  conversations,
  read,
  settings,
  search,
  ack,
  'file-token': fileToken,
  logout,
  help,
} as const;
