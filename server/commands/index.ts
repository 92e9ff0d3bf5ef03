// The command table: every wire command, its handler and whether it needs a
// signed-in session. The dispatcher checks these once for all commands.
import { ack, help, history, offline } from './mailbox';
import { login, logout, register } from './auth';
import { block, blocklist, unblock } from './blocks';
import { fileToken } from './files';
import { createGroup, groupAdd, grouplist, groupLeave, groupRemove } from './groups';
import { broadcast, message, messageGroup } from './messaging';
import { typing, users } from './people';
import { ping, watch, whoelse, wholasthr } from './presence';
import type { CommandTable } from './types';

export const commands: CommandTable = {
  login,
  register,
  logout,
  message,
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
  'message-group': messageGroup,
  grouplist,
  'group-add': groupAdd,
  'group-remove': groupRemove,
  'group-leave': groupLeave,
  history,
  ack,
  'file-token': fileToken,
  help,
};
