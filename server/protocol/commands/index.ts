// Every wire command, keyed by its `type`. The order is the order of `help`.
// Adding a command: define it in the module of its family (schema, result,
// text syntax, renderer), list it here, and give it a handler in
// server/commands/index.ts; the compiler points at whatever is missing.
import { login, logout, register } from './auth';
import { block, blocklist, unblock } from './blocks';
import { fileToken } from './files';
import { createGroup, groupAdd, grouplist, groupLeave, groupRemove } from './groups';
import { ack, help, history, offline } from './mailbox';
import { broadcast, message, messageGroup } from './messaging';
import { typing, users } from './people';
import { ping, watch, whoelse, wholasthr } from './presence';

export const wireCommands = {
  login,
  register,
  message,
  'message-group': messageGroup,
  broadcast,
  whoelse,
  wholasthr,
  block,
  unblock,
  blocklist,
  ping,
  watch,
  users,
  typing,
  offline,
  'create-group': createGroup,
  'group-add': groupAdd,
  'group-remove': groupRemove,
  'group-leave': groupLeave,
  grouplist,
  history,
  ack,
  'file-token': fileToken,
  logout,
  help,
} as const;
