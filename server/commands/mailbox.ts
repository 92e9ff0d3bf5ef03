// offline, history and ack: reading what was delivered and confirming receipt.
import { DEFAULT_PAGE_SIZE, ErrorCode, ProtocolError, MAX_PAGE_SIZE, TEXT_SYNTAX } from '../protocol';
import { toChatMessage } from '../services/outbound';
import type { CommandSpec } from './types';

/** offline — the messages that waited for me while I was offline (newest 200) */
export const offline: CommandSpec<'offline'> = {
  needsAuth: true,
  async handle(ctx) {
    const list = await ctx.services.store.offlineDeliveries(ctx.user, MAX_PAGE_SIZE);
    return { messages: list.map((d) => ({ seq: d.seq, offline: true, message: toChatMessage(d.message) })) };
  },
};

/** history <user|group> [before-id] — newest first; a name is a group when I am in a group of that name */
export const history: CommandSpec<'history'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    const { store, groups, blocks } = ctx.services;
    const limit = cmd.limit ?? DEFAULT_PAGE_SIZE;
    let isGroup = cmd.group ?? false;
    if (cmd.group === undefined && !(await store.getUser(cmd.with))) {
      // Users and groups share one namespace, so an unknown user may be a group.
      isGroup = (await store.getGroup(cmd.with)) !== null;
      if (!isGroup) throw new ProtocolError(ErrorCode.UNKNOWN_USER, `No user or group "${cmd.with}"`);
    }
    const query = { viewer: ctx.user, limit: limit + 1, ...(cmd.before !== undefined ? { before: cmd.before } : {}) };
    let page;
    if (isGroup) {
      await groups.requireGroup(cmd.with, ctx.user);
      // Messages from people I block never reach me, history included.
      const blocked = new Set(await blocks.list(ctx.user));
      page = (await store.history({ ...query, group: cmd.with })).filter((m) => !blocked.has(m.from));
    } else {
      if (!(await store.getUser(cmd.with))) throw new ProtocolError(ErrorCode.UNKNOWN_USER, `No user "${cmd.with}"`);
      page = await store.history({ ...query, peer: cmd.with });
    }
    return { with: cmd.with, group: isGroup, messages: page.slice(0, limit).map(toChatMessage), hasMore: page.length > limit };
  },
};

/** ack <seq> — everything up to seq was received */
export const ack: CommandSpec<'ack'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    // The reply names what was actually acknowledged: never beyond what was sent.
    return { seq: ctx.client.session!.acknowledge(cmd.seq) };
  },
};

/** help */
export const help: CommandSpec<'help'> = {
  needsAuth: false,
  async handle() {
    return { commands: Object.values(TEXT_SYNTAX) };
  },
};
