// The command table: every wire command, its handler and whether it needs a
// signed-in session. The dispatcher checks these once for all commands.
import { ack, help, history, offline } from './mailbox';
import { login, logout, register } from './auth';
import { block, blocklist, unblock } from './blocks';
import { conversations, read, settings } from './conversations';
import { fileToken } from './files';
import { createGroup, groupAdd, grouplist, groupLeave, groupRemove } from './groups';
import { broadcast, deleteMessage, edit, message, messageGroup, react, reply } from './messaging';
import { typing, users } from './people';
import { ping, watch, whoelse, wholasthr } from './presence';
import { search } from './search';
import { profile, profiles } from './profiles';
import type { CommandTable } from './types';

export const commands: CommandTable = {
  login,
  register,
  logout,
  message,
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
  'message-group': messageGroup,
  grouplist,
  'group-add': groupAdd,
  'group-remove': groupRemove,
  'group-leave': groupLeave,
  history,
  conversations,
  read,
  settings,
  search,
  ack,
  'file-token': fileToken,
  help,
};
