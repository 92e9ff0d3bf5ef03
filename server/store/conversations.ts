// The conversation list and read positions, written once for every backend:
// each backend supplies a few indexed reads (ConversationReads) and this module
// applies the rules (blocks, membership, paging, unread counts from the floor).
// Pure: no zod, no node:* (the SQLite writer thread may bundle it).
import type { ChatMessage } from '../protocol/models';
import type { ConversationQuery, ConversationRecord, ConversationTarget } from './store';

/**
 * Read positions are kept per user under one text key per conversation:
 * `d:<peer>`, `g:<group id>` (a later group with the same name starts unread
 * from nothing), `e` (Everyone), and `*`, the floor: the head when the account
 * was created (or its acknowledged position when read positions were
 * introduced), below which nothing counts as unread.
 */
export const FLOOR_KEY = '*';
export const EVERYONE_KEY = 'e';
export const directKey = (peer: string): string => `d:${peer}`;
export const groupKey = (groupId: number): string => `g:${groupId}`;

/** A conversation resolved to what the backends index: a peer, a group id, or the broadcasts. */
export type ResolvedTarget = { peer: string } | { groupId: number } | { everyone: true };

/** The primitive reads a backend answers from its indexes. Positions are message ids; 0 means none. */
export interface ConversationReads {
  /** Peers `user` exchanged private messages with (either way), with the pair's newest id (blocks not applied). */
  directPeers(user: string): Promise<{ peer: string; lastId: number }[]>;
  /** Everyone `user` has blocked at some time (now or before): their messages may be hidden. */
  everBlocked(user: string): Promise<Set<string>>;
  /** The newest message of `target` that `user` can see (blocks applied; a group only within the user's membership). */
  lastVisible(user: string, target: ResolvedTarget): Promise<number>;
  /** The groups `user` belongs to now. */
  groupsOf(user: string): Promise<{ id: number; name: string }[]>;
  /** Messages by id (any order; unknown ids left out). */
  messagesById(ids: readonly number[]): Promise<ChatMessage[]>;
  /** All of `user`'s read positions, by key. */
  readsOf(user: string): Promise<Map<string, number>>;
  /** Every user's read position under `key`. */
  readsOn(key: string): Promise<Map<string, number>>;
  /** Messages of others in `target` after `after` that `user` can see. */
  unread(user: string, target: ResolvedTarget, after: number): Promise<number>;
}

/** The key a resolved target is read under. */
export function keyOf(target: ResolvedTarget): string {
  if ('peer' in target) return directKey(target.peer);
  if ('groupId' in target) return groupKey(target.groupId);
  return EVERYONE_KEY;
}

/** The effective read position: the stored one, never below the floor. */
export function effectiveRead(reads: ReadonlyMap<string, number>, key: string): number {
  return Math.max(reads.get(key) ?? 0, reads.get(FLOOR_KEY) ?? 0);
}

interface Candidate {
  kind: ConversationRecord['kind'];
  name: string;
  target: ResolvedTarget;
  last: number;
}

/** Orders candidates: newest last message first; without messages, groups by name, then Everyone. */
function compare(a: Candidate, b: Candidate): number {
  if (a.last !== b.last) return b.last - a.last;
  if (a.kind !== b.kind) return a.kind === 'everyone' ? 1 : b.kind === 'everyone' ? -1 : 0;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** A page of `query.username`'s conversations (see MessageStore.conversations). */
export async function listConversations(r: ConversationReads, query: ConversationQuery): Promise<ConversationRecord[]> {
  const user = query.username;
  const [peers, blocked, groups] = await Promise.all([r.directPeers(user), r.everBlocked(user), r.groupsOf(user)]);
  const candidates: Candidate[] = [];
  // The pair's last id is exact unless the user ever blocked the peer: only then is it read again with blocks applied.
  const direct = await Promise.all(peers.map(async ({ peer, lastId }) => (blocked.has(peer) ? r.lastVisible(user, { peer }) : lastId)));
  peers.forEach(({ peer }, i) => {
    const last = direct[i]!;
    // A conversation with nothing left to see (only messages of someone blocked) is not listed.
    if (last > 0) candidates.push({ kind: 'direct', name: peer, target: { peer }, last });
  });
  const groupLasts = await Promise.all(groups.map((g) => r.lastVisible(user, { groupId: g.id })));
  groups.forEach((g, i) => candidates.push({ kind: 'group', name: g.name, target: { groupId: g.id }, last: groupLasts[i]! }));
  candidates.push({ kind: 'everyone', name: '', target: { everyone: true }, last: await r.lastVisible(user, { everyone: true }) });

  const before = query.before ?? Number.MAX_SAFE_INTEGER;
  const sorted = candidates.filter((c) => c.last < before).sort(compare);
  const limit = Math.max(0, Math.floor(query.limit));
  let page = sorted.slice(0, limit);
  // Conversations without messages share position 0: a page never splits them.
  if (page.length > 0 && page[page.length - 1]!.last === 0) page = sorted.slice(0, Math.max(limit, sorted.length));
  if (page.length === 0) return [];

  const [messages, reads, peerReads] = await Promise.all([
    r.messagesById(page.filter((c) => c.last > 0).map((c) => c.last)),
    r.readsOf(user),
    page.some((c) => c.kind === 'direct') ? r.readsOn(directKey(user)) : new Map<string, number>(),
  ]);
  const byId = new Map(messages.map((m) => [m.id, m]));
  return Promise.all(
    page.map(async (c): Promise<ConversationRecord> => {
      const key = keyOf(c.target);
      const read = effectiveRead(reads, key);
      const record: ConversationRecord = {
        kind: c.kind,
        name: c.name,
        lastMessage: byId.get(c.last) ?? null,
        read,
        unread: c.last > read ? await r.unread(user, c.target, read) : 0,
      };
      if (c.kind === 'direct') record.peerRead = peerReads.get(c.name) ?? 0;
      if (c.kind === 'group') record.memberReads = Object.fromEntries(await r.readsOn(key));
      return record;
    }),
  );
}

/** A target as the service names it, resolved to what the backend indexes; null when the group does not exist. */
export async function resolveTarget(target: ConversationTarget, groupId: (name: string) => Promise<number | null>): Promise<ResolvedTarget | null> {
  if ('everyone' in target) return { everyone: true };
  if ('peer' in target) return { peer: target.peer };
  const id = await groupId(target.group);
  return id === null ? null : { groupId: id };
}
