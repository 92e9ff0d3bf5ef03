// The default Store: one SQLite file (chat.db) in the data directory. Writes run
// in a writer thread (writer-thread.ts) that group-commits them with durable
// settings; reads run here, on the main thread's own read-only connection.
import { dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import { canonicalName } from '../../protocol/canonical-name';
import { fts5Match } from '../../protocol/search';
import type { Delivery } from '../../protocol';
import { currentLock, historyTarget, inAway, pageSize, storedMessage } from '../rules';
import { LocalBlobStore } from '../blobs/local';
import { effectiveRead, keyOf, listConversations, resolveTarget, type ConversationReads } from '../conversations';
import type { BlobStore, FileRecord, FileStore } from '../file-store';
import type { AccountStore, AdminStore, BlockStore, GroupRecord, GroupStore, MailboxQuery, MessageStore, Store } from '../store';
import { adminReads } from './admin';
import { openReaderConnection, type SqliteSettings } from './connection';
import { prepareDatabaseFiles } from './file-modes';
import { toFileRecord } from './file-statements';
import { readSchemaVersion } from './migrations';
import { lockOf, toGroupRecord, toMessages, toProfile } from './rows';
import { prepareStatements, type MailboxParams, type Statements } from './statements';
import { DEFAULT_MAX_BATCH, type WriteBatchStats } from './write-batch';
import type { WriteOp, WriteOps } from './write-ops';
import { SqliteWriter, type WriterLog } from './writer-client';

/** File name of the database inside a data directory. */
export const SQLITE_FILE_NAME = 'chat.db';

/** Folder of the uploads' blobs, beside the database. */
export const FILES_DIR_NAME = 'files';

export type SqliteStoreOptions = (
  | {
      /** Directory holding chat.db; created (recursively, mode 0700) when missing. */
      dataDir: string;
    }
  | {
      /** Path of the database file; its directory is created when missing. */
      file: string;
    }
) & {
  /** Writes that force a commit without waiting for the writer's turn to end. Default 512. */
  maxBatch?: number;
  /** Where the death of the writer thread is reported. Default: console.error. */
  log?: WriterLog;
};

const consoleLog: WriterLog = {
  error: (details, message) => console.error(message, details),
};

/**
 * Opens (creating and migrating when needed) the SQLite store: starts its
 * writer thread, which opens the file and upgrades the schema (the store's
 * only migration entry point), then opens this thread's read-only connection.
 * Rejects with SchemaTooNewError, leaving the file untouched, when it was written
 * by a newer release; rejects on any other open or migration failure.
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  const file = 'dataDir' in options ? join(options.dataDir, SQLITE_FILE_NAME) : options.file;
  prepareDatabaseFiles(file);
  const { writer, settings } = await SqliteWriter.start(file, { maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH, log: options.log ?? consoleLog });
  let reader: Database.Database;
  try {
    reader = openReaderConnection(file);
  } catch (error) {
    await writer.close();
    throw error;
  }
  return new SqliteStore(reader, writer, settings);
}

/** What the role objects share: the read connection's statements and the writer. */
interface Sides {
  db: Database.Database;
  s: Statements;
  /** Throws once the store is closed. */
  ready: () => void;
  /** A write operation bound by name: runs in the writer thread, with the store method's own arguments. */
  op: <K extends WriteOp>(op: K) => (...args: Parameters<WriteOps[K]>) => Promise<ReturnType<WriteOps[K]>>;
  /** MessageStore.ack through the writer, which coalesces a turn's acknowledgements (SqliteWriter.ack). */
  ack: MessageStore['ack'];
}

function accounts({ s, ready, op }: Sides): AccountStore {
  return {
    createUser: op('createUser'),
    setPasswordHash: op('setPasswordHash'),
    recordLogin: op('recordLogin'),
    clearFailedLogins: op('clearFailedLogins'),
    beginLoginAttempt: op('beginLoginAttempt'),
    finishLoginAttempt: op('finishLoginAttempt'),
    releaseLoginAttempt: op('releaseLoginAttempt'),
    createToken: op('createToken'),
    rotateToken: op('rotateToken'),
    revokeToken: op('revokeToken'),
    revokeTokenFamily: op('revokeTokenFamily'),
    revokeTokensOf: op('revokeTokensOf'),
    async getUser(username) {
      ready();
      const row = s.getUser.get(canonicalName(username));
      if (!row) return null;
      return { username: row.username, passwordHash: row.password_hash, createdAt: row.created_at, lastLoginAt: row.last_login_at };
    },
    async usersLoggedInSince(since) {
      ready();
      return s.usersLoggedInSince.all(since).map((r) => ({ username: r.username, lastLoginAt: r.last_login_at }));
    },
    async listUsers(query, limit) {
      ready();
      return s.listUsers.all(query, limit).map((r) => ({ ...toProfile(r), lastLoginAt: r.last_login_at }));
    },
    setProfile: op('setProfile'),
    async getProfiles(usernames) {
      ready();
      return usernames.flatMap((name) => {
        const row = s.getProfile.get(canonicalName(name));
        return row ? [toProfile(row)] : [];
      });
    },
    async existingUsers(usernames) {
      ready();
      // In-process lookups on the primary key: no round trips, and input order for free.
      return usernames.flatMap((name) => s.registeredName.get(canonicalName(name))?.username ?? []);
    },
    async passwordsChangedSince(since) {
      ready();
      return s.passwordsChangedSince.all(since).map((r) => ({ username: r.username, changedAt: r.password_changed_at }));
    },
    async hasUsers() {
      ready();
      return s.anyUser.get() !== undefined;
    },
    async getLockState(username, now) {
      ready();
      return currentLock(lockOf(s.getLock.get(username)), now);
    },
    async findToken(tokenHash, now) {
      ready();
      return s.findToken.get(tokenHash, now, now)?.username ?? null;
    },
    async getToken(tokenHash, now) {
      ready();
      const row = s.getToken.get(tokenHash, now);
      if (!row) return null;
      return {
        username: row.username,
        family: row.family,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        rotatedAt: row.rotated_at,
        graceUntil: row.grace_until,
      };
    },
  };
}

function admin({ db, s, ready, op }: Sides): AdminStore {
  return {
    ...adminReads(db, s, ready),
    appendAudit: op('appendAudit'),
    pruneAudit: op('pruneAudit'),
    setLock: op('setLock'),
    deleteUser: op('deleteUser'),
    renameUser: op('renameUser'),
    deleteGroup: op('deleteGroup'),
    putNodeSessions: op('putNodeSessions'),
    postSignal: op('postSignal'),
    pruneSignals: op('pruneSignals'),
  };
}

function blocks({ s, ready, op }: Sides): BlockStore {
  return {
    block: op('block'),
    unblock: op('unblock'),
    async blockedBy(blocker) {
      ready();
      return s.blockedBy.all(blocker).map((r) => r.blocked);
    },
    async blockersOf(user) {
      ready();
      return s.blockersOf.all(user).map((r) => r.blocker);
    },
    async isBlocked(blocker, blocked) {
      ready();
      return s.isBlocked.get(blocker, blocked) !== undefined;
    },
  };
}

function groups({ db, s, ready, op }: Sides): GroupStore {
  return {
    createGroup: op('createGroup'),
    addGroupMembers: op('addGroupMembers'),
    removeGroupMembers: op('removeGroupMembers'),
    async getGroup(name) {
      ready();
      // One read transaction: the group row and its members come from the same commit.
      return db.transaction(() => {
        const row = s.getGroup.get(name);
        return row ? toGroupRecord(s, row) : null;
      })();
    },
    async hasGroupNamed(name) {
      ready();
      return s.groupNamed.get(name) !== undefined;
    },
    async groupsOf(username) {
      ready();
      return db.transaction(() => {
        const found = s.groupsOf
          .all(username)
          .map((row): GroupRecord => ({ id: row.id, name: row.name, owner: row.owner, members: [], createdAt: row.created_at }));
        const byName = new Map(found.map((g) => [g.name, g]));
        for (const m of s.membersOfGroupsOf.all(username)) byName.get(m.group_name)?.members.push(m.username);
        return found;
      })();
    },
  };
}

/** The mailbox statements' parameters for a query (no away window: an empty one). */
function mailboxParams(q: Omit<MailboxQuery, 'limit' | 'newest'>, limit: number): MailboxParams {
  return {
    user: q.username,
    after: q.after,
    upTo: q.upTo ?? Number.MAX_SAFE_INTEGER,
    awayFrom: q.away?.from ?? 0,
    awayTo: q.away?.to ?? 0,
    limit,
  };
}

function messages({ s, ready, op, ack }: Sides): MessageStore {
  const save = op('saveMessage');
  const savePrivate = op('savePrivate');
  const saveOnce = op('saveMessageOnce');
  const savePrivateOnce = op('savePrivateOnce');
  const markRead = op('markRead');
  const reads = conversationReads(s);
  const edit = op('editMessage');
  const remove = op('deleteMessage');
  const toggle = op('toggleReaction');
  const indexMessages = op('indexMessages');
  return {
    ack,
    signIn: op('signIn'),
    signOut: op('signOut'),
    async saveMessage(message, files) {
      ready();
      // Taken now: the caller's object is not read after the call. Only its own fields
      // (everything posted is copied), posted as they are: the writer reads no id, and
      // this one is filled in once stored (the copy was made when posted).
      const stored = storedMessage(message);
      stored.id =
        stored.kind === 'private' && !files
          ? await savePrivate(stored.from, stored.to, stored.text, stored.ts, stored.replyTo?.id ?? null)
          : await save(stored, files && { ids: [...files.ids] });
      return stored;
    },
    async saveMessageOnce(message, clientKey, files) {
      ready();
      const stored = storedMessage(message);
      // As saveMessage: a private message without files goes in flat arguments.
      const saved =
        stored.kind === 'private' && !files
          ? await savePrivateOnce(stored.from, stored.to, stored.text, stored.ts, stored.replyTo?.id ?? null, clientKey)
          : await saveOnce(stored, clientKey, files && { ids: [...files.ids] });
      if (!saved.repeat) {
        stored.id = saved.id;
        return { message: stored, repeat: false };
      }
      // Committed before the writer answered: this connection sees it.
      return { message: toMessages(s, [s.getMessage.get(saved.id)!])[0]!, repeat: true };
    },
    async messageByClientKey(sender, clientKey) {
      ready();
      const row = s.messageByClientKey.get(sender, clientKey);
      return row ? { message: toMessages(s, [row])[0]!, groupId: row.group_id } : null;
    },
    async mailbox(query) {
      ready();
      const n = pageSize(query.limit);
      if (n === 0) return [];
      const rows = (query.newest ? s.mailboxNewest : s.mailbox).all(mailboxParams(query, n));
      return toMessages(s, rows).map((message): Delivery => ({ seq: message.id, offline: inAway(message.id, query.away), message }));
    },
    async countMailbox(query) {
      ready();
      const { limit: _limit, ...params } = mailboxParams(query, 0);
      return s.countMailbox.get(params)?.n ?? 0;
    },
    async head() {
      ready();
      return s.head.get()?.head ?? 0;
    },
    async lastAcked(username) {
      ready();
      return s.positions.get(username)?.acked ?? 0;
    },
    async lastAway(username) {
      ready();
      const row = s.positions.get(username);
      return row ? { from: row.away_from, to: row.away_to } : { from: 0, to: 0 };
    },
    async history(query) {
      ready();
      const target = historyTarget(query);
      const limit = pageSize(query.limit);
      const before = query.before ?? Number.MAX_SAFE_INTEGER;
      if (limit === 0) return [];
      if ('everyone' in target) return toMessages(s, s.broadcastHistory.all({ u: query.viewer, before, limit }));
      if ('group' in target) return toMessages(s, s.groupHistory.all({ u: query.viewer, group: target.group, before, limit }));
      return toMessages(s, s.privateHistory.all({ u: query.viewer, peer: target.peer, before, limit }));
    },
    async getMessage(id) {
      ready();
      const row = s.getMessage.get(id);
      return row ? { message: toMessages(s, [row])[0]!, groupId: row.group_id } : null;
    },
    async editMessage(id, text, at) {
      ready();
      if (!(await edit(id, text, at))) return null;
      return toMessages(s, [s.getMessage.get(id)!])[0]!;
    },
    async deleteMessage(id, at) {
      ready();
      if (!(await remove(id, at))) return null;
      return toMessages(s, [s.getMessage.get(id)!])[0]!;
    },
    async toggleReaction(id, username, emoji, at) {
      ready();
      const added = await toggle(id, username, emoji, at);
      if (added === null) return null;
      return { added, reactions: toMessages(s, [s.getMessage.get(id)!])[0]!.reactions ?? [] };
    },
    async conversations(query) {
      ready();
      return listConversations(reads, query);
    },
    async markRead(username, target, position) {
      ready();
      const resolved = await resolveTarget(target, async (name) => s.groupIdOf.get(name)?.id ?? null);
      if (!resolved) throw new Error(`markRead: no group "${'group' in target ? target.group : ''}"`);
      const key = keyOf(resolved);
      await markRead(username, key, position);
      const read = effectiveRead(await reads.readsOf(username), key);
      return { read, unread: await reads.unread(username, resolved, read) };
    },
    setReadReceipts: op('setReadReceipts'),
    async readReceiptsOff(usernames) {
      ready();
      return usernames.filter((u) => s.receiptsOff.get(u) !== undefined);
    },
    async directPeers(username) {
      ready();
      return s.peersOf
        .all(username)
        .map((r) => r.peer)
        .filter((peer) => peer !== username)
        .sort();
    },
    async search(query) {
      ready();
      const limit = pageSize(query.limit);
      if (limit === 0 || query.terms.length === 0) return [];
      // The writer indexes new messages in bulk, now and then: first have it index every message stored so far.
      await indexMessages();
      return toMessages(
        s,
        s.search.all({
          user: query.viewer,
          match: fts5Match(query.terms),
          peer: query.peer ?? null,
          groupName: query.group ?? null,
          beforeId: query.beforeId ?? Number.MAX_SAFE_INTEGER,
          beforeTs: query.beforeTs ?? null,
          afterTs: query.afterTs ?? null,
          limit,
        }),
      );
    },
  };
}

/** The indexed reads the shared conversation rules need (conversations.ts), on the read connection. */
function conversationReads(s: Statements): ConversationReads {
  return {
    directPeers: async (u) => s.directPeers.all(u).map((r) => ({ peer: r.peer, lastId: r.last_id })),
    everBlocked: async (u) => new Set(s.everBlocked.all(u).map((r) => r.blocked)),
    async lastVisible(u, target) {
      if ('peer' in target) return s.lastDirect.get({ u, p: target.peer })?.last ?? 0;
      if ('groupId' in target) return s.lastGroup.get({ u, g: target.groupId })?.id ?? 0;
      return s.lastBroadcast.get({ u })?.id ?? 0;
    },
    groupsOf: async (u) => s.groupsOf.all(u).map((r) => ({ id: r.id, name: r.name })),
    messagesById: async (ids) => (ids.length === 0 ? [] : toMessages(s, s.messagesById.all(JSON.stringify(ids)))),
    readsOf: async (u) => new Map(s.readsOf.all(u).map((r) => [r.conversation, r.position])),
    readsOn: async (key) => new Map(s.readsOn.all(key).map((r) => [r.username, r.position])),
    async unread(u, target, after) {
      if ('peer' in target) return s.unreadDirect.get({ u, p: target.peer, after })?.n ?? 0;
      if ('groupId' in target) return s.unreadGroup.get({ u, g: target.groupId, after })?.n ?? 0;
      return s.unreadBroadcast.get({ u, after })?.n ?? 0;
    },
  };
}

function files({ s, ready, op }: Sides): FileStore {
  return {
    createFile: op('createFile'),
    deleteUnreferenced: op('deleteUnreferenced'),
    linkKey: op('linkKey'),
    setAvatarHash: op('setAvatarHash'),
    async getFiles(ids) {
      ready();
      return ids.flatMap((id) => {
        const row = s.getFile.get(id);
        return row ? [toFileRecord(row)] : [];
      });
    },
    async attachmentsOf(messageIds) {
      ready();
      const out = new Map<number, FileRecord[]>();
      if (messageIds.length === 0) return out;
      for (const row of s.attachmentsOf.all(JSON.stringify(messageIds))) {
        const list = out.get(row.message_id);
        if (list) list.push(toFileRecord(row));
        else out.set(row.message_id, [toFileRecord(row)]);
      }
      return out;
    },
    async canRead(id, username) {
      ready();
      return s.canRead.get({ id, user: username }) !== undefined;
    },
    async unreferencedFiles(createdBefore, limit) {
      ready();
      return s.unreferencedFiles.all(createdBefore, limit).map(toFileRecord);
    },
    async hashInUse(hash) {
      ready();
      return s.hashInUse.get({ hash }) !== undefined;
    },
    async usage(uploader, pendingSince) {
      ready();
      return s.usage.get({ uploader, since: pendingSince })?.bytes ?? 0;
    },
  };
}

/**
 * Concurrency (the same as the PostgreSQL store's):
 * MUST: a write's promise resolves only after its transaction committed (and was fsynced).
 * MUST: writes take effect in call order, across all write methods.
 * MUST: a read that starts after a write resolved sees that write.
 * Reads do not wait for writes still in flight: a read issued in the same turn
 * as a write may or may not see it. Every caller awaits its writes first.
 */
export class SqliteStore implements Store {
  readonly accounts: AccountStore;
  readonly admin: AdminStore;
  readonly blocks: BlockStore;
  readonly groups: GroupStore;
  readonly messages: MessageStore;
  readonly files: FileStore;
  /** Uploads live beside the database, in files/ (content-addressed). */
  readonly blobs: BlobStore;
  private closed = false;

  /** Use openSqliteStore(). */
  constructor(
    private readonly db: Database.Database,
    private readonly writer: SqliteWriter,
    private readonly writerSettings: SqliteSettings,
  ) {
    const sides: Sides = {
      db,
      s: prepareStatements(db),
      ready: () => this.ready(),
      op:
        (op) =>
        (...args) =>
          this.closed ? Promise.reject(new Error(`SQLite store ${db.name} is closed`)) : this.writer.run(op, args),
      ack: (username, position) => (this.closed ? Promise.reject(new Error(`SQLite store ${db.name} is closed`)) : this.writer.ack(username, position)),
    };
    this.accounts = accounts(sides);
    this.admin = admin(sides);
    this.blocks = blocks(sides);
    this.groups = groups(sides);
    this.messages = messages(sides);
    this.files = files(sides);
    this.blobs = new LocalBlobStore(join(dirname(db.name), FILES_DIR_NAME));
  }

  /** Path of the database file. */
  get file(): string {
    return this.db.name;
  }

  /** The writer connection's settings, with the schema version as of now. */
  settings(): SqliteSettings {
    this.ready();
    return { ...this.writerSettings, schemaVersion: readSchemaVersion(this.db) };
  }

  /** Group-commit counters of the writer thread since open. */
  batchStats(): WriteBatchStats {
    return this.writer.batchStats();
  }

  /** Test seam: kills the writer thread as a crash would. */
  terminateWriterForTests(): Promise<void> {
    return this.writer.terminateForTests();
  }

  async ping(): Promise<void> {
    this.ready();
    this.writer.assertAlive();
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // The reader goes first, so the writer's connection is the last one and its
    // close removes the checkpointed WAL: the directory holds one self-contained file.
    this.db.close();
    await this.writer.close();
  }

  /** Throws once closed. */
  private ready(): void {
    if (this.closed) throw new Error(`SQLite store ${this.db.name} is closed`);
  }
}
