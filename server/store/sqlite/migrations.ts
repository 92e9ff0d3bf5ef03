// Versioned schema steps for the SQLite store, tracked with PRAGMA user_version.
// Steps are append-only: a released step is never edited, a change is a new step.
import { canonicalName } from '../../protocol/canonical-name';
import type { Database } from 'better-sqlite3';
import { nameClashReport } from '../name-clashes';

export interface Migration {
  /** The user_version the database has after this step; steps are numbered 1, 2, 3… */
  version: number;
  /** One line on what the step does (shown in errors). */
  name: string;
  /** Runs inside the step's transaction; must not change PRAGMA user_version itself. */
  up(db: Database): void;
}

/** Thrown when the file was written by a newer release: we refuse rather than risk corrupting it. */
export class SchemaTooNewError extends Error {
  constructor(
    readonly file: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `SQLite database ${file} has schema version ${found}, but this server only knows versions up to ${supported}. ` +
        'It was written by a newer release: upgrade the server, or point it at another data directory.',
    );
    this.name = 'SchemaTooNewError';
  }
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema: users, lockout, tokens, blocks, groups, messages, deliveries',
    up(db) {
      db.exec(`
        -- last_seq is the per-recipient sequence counter; it lives here (not as
        -- max(deliveries.seq)) so a number is never reused even if deliveries are pruned.
        CREATE TABLE users (
          username      TEXT PRIMARY KEY,
          password_hash TEXT NOT NULL,
          created_at    INTEGER NOT NULL,
          last_login_at INTEGER,
          last_seq      INTEGER NOT NULL DEFAULT 0,
          acked_seq     INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX users_last_login ON users (last_login_at);

        -- Keyed by the name typed at sign-in, which need not be a user.
        CREATE TABLE login_failures (
          username     TEXT PRIMARY KEY,
          failures     INTEGER NOT NULL,
          locked_until INTEGER
        ) WITHOUT ROWID;

        CREATE TABLE tokens (
          token_hash TEXT PRIMARY KEY,
          username   TEXT NOT NULL,
          expires_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX tokens_username ON tokens (username);

        CREATE TABLE blocks (
          blocker TEXT NOT NULL,
          blocked TEXT NOT NULL,
          PRIMARY KEY (blocker, blocked)
        ) WITHOUT ROWID;
        CREATE INDEX blocks_blocked ON blocks (blocked, blocker);

        CREATE TABLE groups (
          name       TEXT PRIMARY KEY,
          owner      TEXT NOT NULL,
          created_at INTEGER NOT NULL
        ) WITHOUT ROWID;

        -- position keeps join order (members are listed in the order they joined).
        CREATE TABLE group_members (
          group_name TEXT NOT NULL REFERENCES groups (name) ON DELETE CASCADE,
          username   TEXT NOT NULL,
          joined_at  INTEGER NOT NULL,
          position   INTEGER NOT NULL,
          PRIMARY KEY (group_name, username)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX group_members_order ON group_members (group_name, position);
        CREATE INDEX group_members_user ON group_members (username, group_name);

        -- AUTOINCREMENT: ids are never reused, even after the newest rows are deleted.
        CREATE TABLE messages (
          id         INTEGER PRIMARY KEY AUTOINCREMENT,
          kind       TEXT NOT NULL CHECK (kind IN ('private', 'broadcast', 'group')),
          sender     TEXT NOT NULL,
          recipient  TEXT,
          group_name TEXT,
          text       TEXT NOT NULL,
          ts         INTEGER NOT NULL
        );
        CREATE INDEX messages_private ON messages (kind, sender, recipient, id);
        CREATE INDEX messages_group ON messages (group_name, id) WHERE group_name IS NOT NULL;

        CREATE TABLE deliveries (
          username   TEXT NOT NULL REFERENCES users (username),
          seq        INTEGER NOT NULL,
          message_id INTEGER NOT NULL REFERENCES messages (id),
          offline    INTEGER NOT NULL CHECK (offline IN (0, 1)),
          PRIMARY KEY (username, seq)
        ) WITHOUT ROWID;
        CREATE INDEX deliveries_offline ON deliveries (username, offline, seq);
        CREATE INDEX deliveries_message ON deliveries (message_id);
      `);
    },
  },
  {
    version: 2,
    name: 'per-user counters in their own table; offline index only over offline deliveries',
    up(db) {
      db.exec(`
        -- A fan-out bumps one counter per recipient. In a narrow WITHOUT ROWID table
        -- (about 20 bytes a row) a 1000-recipient message dirties a handful of pages;
        -- as columns of the wide users row (next to password_hash) it dirtied dozens.
        CREATE TABLE counters (
          username  TEXT PRIMARY KEY REFERENCES users (username),
          last_seq  INTEGER NOT NULL DEFAULT 0,
          acked_seq INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        INSERT INTO counters (username, last_seq, acked_seq) SELECT username, last_seq, acked_seq FROM users;
        ALTER TABLE users DROP COLUMN last_seq;
        ALTER TABLE users DROP COLUMN acked_seq;

        -- Only offline deliveries are ever looked up by this index, so only they get
        -- an entry: a delivery to an online user no longer writes a second B-tree leaf.
        DROP INDEX deliveries_offline;
        CREATE INDEX deliveries_offline ON deliveries (username, seq) WHERE offline = 1;
      `);
    },
  },
  {
    version: 3,
    name: 'operations: audit log, sessions reported by nodes, signals from the admin CLI',
    up(db) {
      db.exec(`
        -- Append-only apart from pruning by age (--audit-days).
        CREATE TABLE audit_log (
          id       INTEGER PRIMARY KEY AUTOINCREMENT,
          at       INTEGER NOT NULL,
          action   TEXT NOT NULL,
          actor    TEXT,
          username TEXT,
          address  TEXT,
          detail   TEXT
        );
        CREATE INDEX audit_log_at ON audit_log (at);
        CREATE INDEX audit_log_user ON audit_log (username, id);

        -- What each node last reported as signed in (replaced as a whole, refreshed periodically).
        CREATE TABLE live_sessions (
          node      TEXT NOT NULL,
          username  TEXT NOT NULL,
          transport TEXT NOT NULL,
          address   TEXT NOT NULL,
          since     INTEGER NOT NULL,
          seen_at   INTEGER NOT NULL,
          PRIMARY KEY (node, username)
        ) WITHOUT ROWID;

        -- Requests of the admin CLI that running nodes poll (end a session, a group was deleted).
        CREATE TABLE admin_signals (
          id      INTEGER PRIMARY KEY AUTOINCREMENT,
          kind    TEXT NOT NULL,
          subject TEXT NOT NULL,
          detail  TEXT NOT NULL,
          at      INTEGER NOT NULL
        );
      `);
    },
  },
  {
    version: 4,
    name: 'file attachments: uploads, the messages carrying them, read grants, the link-signing key',
    up(db) {
      db.exec(`
        -- One row per upload. hash and thumb_hash name content-addressed blobs
        -- (files/ in the data directory): identical bytes are stored once.
        CREATE TABLE files (
          id         TEXT PRIMARY KEY,
          uploader   TEXT NOT NULL,
          name       TEXT NOT NULL,
          size       INTEGER NOT NULL,
          type       TEXT NOT NULL,
          hash       TEXT NOT NULL,
          width      INTEGER,
          height     INTEGER,
          thumb_hash TEXT,
          created_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX files_hash ON files (hash);
        CREATE INDEX files_thumb_hash ON files (thumb_hash) WHERE thumb_hash IS NOT NULL;
        CREATE INDEX files_created ON files (created_at);

        -- Which messages carry which files, keyed by message id only (no foreign
        -- key into messages, whose layout may change independently).
        CREATE TABLE message_files (
          message_id INTEGER NOT NULL,
          position   INTEGER NOT NULL,
          file_id    TEXT NOT NULL REFERENCES files (id),
          PRIMARY KEY (message_id, position)
        ) WITHOUT ROWID;
        CREATE INDEX message_files_file ON message_files (file_id);

        -- Who may download a file besides its uploader: users, or the current members of a group.
        CREATE TABLE file_grants (
          file_id TEXT NOT NULL REFERENCES files (id),
          kind    TEXT NOT NULL CHECK (kind IN ('user', 'group')),
          grantee TEXT NOT NULL,
          PRIMARY KEY (file_id, kind, grantee)
        ) WITHOUT ROWID;

        CREATE TABLE file_settings (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 5,
    name: 'lockout: hourly failure cap and one verification in flight per name',
    up(db) {
      db.exec(`
        ALTER TABLE login_failures ADD COLUMN hour_start INTEGER;
        ALTER TABLE login_failures ADD COLUMN hour_failures INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE login_failures ADD COLUMN lease_until INTEGER;
      `);
    },
  },
  {
    version: 6,
    name: 'user names unique by canonical form (NFKC + case folding)',
    up(db) {
      // Computed here, in JS, with the same function the server matches with.
      // Two accounts with one canonical form are never merged: the step fails,
      // naming them, and the file stays at the previous version.
      const rows = db.prepare<[], { username: string }>('SELECT username FROM users ORDER BY created_at, username').all();
      const clash = nameClashReport(rows.map((r) => r.username));
      if (clash) throw new Error(clash);
      db.exec('ALTER TABLE users ADD COLUMN name_key TEXT');
      const setKey = db.prepare<[string, string]>('UPDATE users SET name_key = ? WHERE username = ?');
      for (const { username } of rows) setKey.run(canonicalName(username), username);
      db.exec('CREATE UNIQUE INDEX users_name_key ON users (name_key)');
    },
  },
  {
    version: 7,
    name: 'password change time, so every server ends the sessions of a user whose password changed',
    up(db) {
      db.exec(`
        ALTER TABLE users ADD COLUMN password_changed_at INTEGER;
        CREATE INDEX users_password_changed ON users (password_changed_at) WHERE password_changed_at IS NOT NULL;
      `);
    },
  },
  {
    version: 8,
    name: 'one message stream: mailboxes read from it; positions per user; group surrogate ids and membership spans',
    up(db) {
      db.exec(`
        -- Every group ever created, so a group id is never reused: messages keep the id
        -- of the group they were sent to, and a later group with the same name starts empty.
        CREATE TABLE group_ids (
          id         INTEGER PRIMARY KEY AUTOINCREMENT,
          name       TEXT NOT NULL,
          created_at INTEGER NOT NULL
        );
        INSERT INTO group_ids (name, created_at) SELECT name, created_at FROM groups ORDER BY created_at, name;
        ALTER TABLE groups ADD COLUMN id INTEGER;
        UPDATE groups SET id = (SELECT max(i.id) FROM group_ids i WHERE i.name = groups.name);
        CREATE UNIQUE INDEX groups_id ON groups (id);

        -- Group messages are keyed by the group's id. Messages sent before the current
        -- group of that name was created belonged to an ended group: no id, unreachable.
        ALTER TABLE messages ADD COLUMN group_id INTEGER;
        UPDATE messages SET group_id = (SELECT g.id FROM groups g WHERE g.name = messages.group_name AND g.created_at <= messages.ts)
          WHERE kind = 'group';

        -- Membership over time, in stream positions: a member sees the group's messages
        -- in (from_pos, to_pos]; to_pos is NULL while still a member.
        CREATE TABLE member_spans (
          group_id INTEGER NOT NULL,
          username TEXT NOT NULL,
          from_pos INTEGER NOT NULL,
          to_pos   INTEGER
        );
        CREATE INDEX member_spans_user ON member_spans (username, group_id);
        INSERT INTO member_spans (group_id, username, from_pos)
          SELECT g.id, gm.username, coalesce((SELECT max(m.id) FROM messages m WHERE m.ts < gm.joined_at), 0)
          FROM group_members gm JOIN groups g ON g.name = gm.group_name;

        -- The mailbox is read from the stream, so it needs these three range scans.
        CREATE INDEX messages_inbox ON messages (recipient, id) WHERE kind = 'private';
        CREATE INDEX messages_broadcast ON messages (kind, id) WHERE kind = 'broadcast';
        CREATE INDEX messages_group_id ON messages (group_id, id) WHERE kind = 'group';
        DROP INDEX messages_group;

        -- One row per user: positions in the stream. A per-user seq became the position
        -- of the message it delivered; the last delivery marks a clean sign-out, so
        -- broadcasts after it count as sent while away (never queued), as before.
        CREATE TABLE positions (
          username   TEXT PRIMARY KEY REFERENCES users (username),
          acked      INTEGER NOT NULL DEFAULT 0,
          signed_in  INTEGER NOT NULL DEFAULT 0,
          signed_out INTEGER NOT NULL DEFAULT 0,
          away_from  INTEGER NOT NULL DEFAULT 0,
          away_to    INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        INSERT INTO positions (username, acked, signed_in, signed_out, away_from, away_to)
          SELECT c.username,
                 coalesce((SELECT max(d.message_id) FROM deliveries d WHERE d.username = c.username AND d.seq <= c.acked_seq), 0),
                 coalesce((SELECT max(d.message_id) FROM deliveries d WHERE d.username = c.username), 0),
                 coalesce((SELECT max(d.message_id) FROM deliveries d WHERE d.username = c.username), 0),
                 0, 0
          FROM counters c;
        DROP TABLE deliveries;
        DROP TABLE counters;

        -- Blocks over time, in stream positions: while a span is open (to_pos NULL)
        -- the blocker reads nothing from the blocked user; after it closes, what was
        -- sent during it (from_pos, to_pos] stays hidden.
        CREATE TABLE block_spans (
          blocker  TEXT NOT NULL,
          blocked  TEXT NOT NULL,
          from_pos INTEGER NOT NULL,
          to_pos   INTEGER
        );
        CREATE INDEX block_spans_blocker ON block_spans (blocker, blocked);
        INSERT INTO block_spans (blocker, blocked, from_pos) SELECT blocker, blocked, 0 FROM blocks;

        -- File grants to a group named it; now they name the group's surrogate id.
        -- A grant stands only if a message of that very group carries the file: a
        -- grant by a group that ended goes, so the group now using its name reads none.
        DELETE FROM file_grants WHERE kind = 'group' AND NOT EXISTS (
          SELECT 1 FROM groups g JOIN messages m ON m.group_id = g.id AND m.kind = 'group'
            JOIN message_files mf ON mf.message_id = m.id
          WHERE g.name = file_grants.grantee AND mf.file_id = file_grants.file_id);
        UPDATE file_grants SET grantee = (SELECT CAST(g.id AS TEXT) FROM groups g WHERE g.name = file_grants.grantee)
          WHERE kind = 'group';
      `);
    },
  },
  {
    version: 9,
    name: 'sign-in token rotation: token families, creation time, rotated state and grace',
    up(db) {
      db.exec(`
        -- A family is every token rotated from one sign-in; a token stored before
        -- rotation is a family of its own, named by its hash.
        ALTER TABLE tokens ADD COLUMN family TEXT;
        UPDATE tokens SET family = token_hash;
        ALTER TABLE tokens ADD COLUMN created_at INTEGER;
        ALTER TABLE tokens ADD COLUMN rotated_at INTEGER;
        ALTER TABLE tokens ADD COLUMN grace_until INTEGER;
        CREATE INDEX tokens_family ON tokens (family);
      `);
    },
  },
  {
    version: 10,
    name: 'conversations: direct pairs with their last message, read positions per conversation, read-receipt setting',
    up(db) {
      db.exec(`
        -- One row per user and direct peer (both directions), with the pair's newest
        -- message id: upserted by each private send, so listing a user's direct
        -- conversations never scans the stream.
        CREATE TABLE direct_peers (
          username TEXT NOT NULL,
          peer     TEXT NOT NULL,
          last_id  INTEGER NOT NULL,
          PRIMARY KEY (username, peer)
        ) WITHOUT ROWID;
        INSERT INTO direct_peers (username, peer, last_id)
          SELECT u, p, max(id) FROM (
            SELECT sender AS u, recipient AS p, id FROM messages WHERE kind = 'private' AND recipient IS NOT NULL
            UNION ALL
            SELECT recipient, sender, id FROM messages WHERE kind = 'private' AND recipient IS NOT NULL)
          GROUP BY u, p;

        -- How far each user has read each conversation ('d:<peer>', 'g:<group id>',
        -- 'e' for Everyone); '*' is the floor below which nothing counts as unread.
        CREATE TABLE read_positions (
          username     TEXT NOT NULL,
          conversation TEXT NOT NULL,
          position     INTEGER NOT NULL,
          PRIMARY KEY (username, conversation)
        ) WITHOUT ROWID;
        CREATE INDEX read_positions_conversation ON read_positions (conversation, username);
        -- What users had already received counts as read.
        INSERT INTO read_positions (username, conversation, position)
          SELECT u.username, '*', coalesce(p.acked, 0) FROM users u LEFT JOIN positions p ON p.username = u.username;

        -- Users who turned read receipts off (default: on).
        CREATE TABLE receipts_off (
          username TEXT PRIMARY KEY
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 11,
    name: "upload quotas: a user's files found by uploader",
    up(db) {
      db.exec('CREATE INDEX files_uploader ON files (uploader, created_at)');
    },
  },
  {
    version: 12,
    name: 'message search: an FTS5 index over the text of messages, kept in step by triggers',
    up(db) {
      db.exec(`
        -- External content: the index keeps only the tokens; the text stays in messages.
        -- unicode61 without diacritic folding, like the other backends ("cafe" does not find "café"),
        -- and with combining marks inside words (Devanagari, Thai vowel signs), as protocol/search.ts splits them.
        CREATE VIRTUAL TABLE messages_fts USING fts5(
          text, content = 'messages', content_rowid = 'id',
          tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'"
        );
        -- The triggers follow every change of the text (an edit, a delete that empties it),
        -- whoever makes it, so no write path has to remember the index.
        CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
          INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
          INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
          INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
          INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
        END;
        -- Index the messages already stored.
        INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
      `);
    },
  },
  {
    version: 13,
    name: 'profiles: a display name and an avatar (an uploaded image) per user',
    up(db) {
      db.exec(`
        ALTER TABLE users ADD COLUMN display_name TEXT;
        -- The id of an uploaded image (files.id); while set, the file is readable by every
        -- user and garbage collection keeps it.
        ALTER TABLE users ADD COLUMN avatar TEXT;
        CREATE INDEX users_avatar ON users (avatar) WHERE avatar IS NOT NULL;
      `);
    },
  },
  {
    version: 14,
    name: 'message changes: replies, edits, deletions (tombstones) and reactions',
    up(db) {
      db.exec(`
        -- An edit UPDATEs text (indexes over it follow); a deletion sets text to '' and deleted_at.
        ALTER TABLE messages ADD COLUMN reply_to INTEGER;
        ALTER TABLE messages ADD COLUMN edited_at INTEGER;
        ALTER TABLE messages ADD COLUMN deleted_at INTEGER;

        -- One row per (message, user, emoji); seq orders them as they were made.
        CREATE TABLE reactions (
          seq        INTEGER PRIMARY KEY AUTOINCREMENT,
          message_id INTEGER NOT NULL,
          username   TEXT NOT NULL,
          emoji      TEXT NOT NULL,
          at         INTEGER NOT NULL,
          UNIQUE (message_id, username, emoji)
        );
        CREATE INDEX reactions_message ON reactions (message_id, seq);
        CREATE INDEX reactions_user ON reactions (username);
      `);
    },
  },
  {
    version: 15,
    name: "private mailbox read through each sender's conversation: private_senders replaces the messages_inbox index",
    up(db) {
      db.exec(`
        -- Who has ever sent each name a private message. The mailbox reads each of those
        -- senders' range of messages_private (kind, sender, recipient, id) instead of a
        -- second per-recipient index: every private message dirtied a scattered leaf of
        -- both indexes, and writing those pages at commit was most of its cost. A row is
        -- added once per pair (INSERT OR IGNORE writes nothing after that) and outlives the
        -- accounts, so a name used again still starts after its former holder's mail.
        CREATE TABLE private_senders (
          recipient TEXT NOT NULL,
          sender    TEXT NOT NULL,
          PRIMARY KEY (recipient, sender)
        ) WITHOUT ROWID;
        INSERT INTO private_senders (recipient, sender)
          SELECT DISTINCT recipient, sender FROM messages WHERE kind = 'private' AND recipient IS NOT NULL;
        -- Like the search index's, a trigger keeps it whoever inserts the message.
        -- A rename moves the rows itself (admin.ts renameUser).
        CREATE TRIGGER messages_private_sender AFTER INSERT ON messages WHEN new.kind = 'private' BEGIN
          INSERT OR IGNORE INTO private_senders (recipient, sender) VALUES (new.recipient, new.sender);
        END;
        DROP INDEX messages_inbox;
      `);
    },
  },
  {
    // The search index takes new messages once per commit instead of one by one.
    // Every statement that writes inside a transaction where messages_fts already
    // took a row opens a statement savepoint, and FTS5 writes its pending terms out
    // as a new segment at each savepoint: with the insert trigger every message
    // became a one-document segment, merged again and again by automerge
    // (~110k instructions per message, about half of a private message's write).
    // The writer now indexes the messages its batch added just before COMMIT
    // (statements.ts indexNewMessages), one segment per commit. The edit and delete
    // triggers stay, and only touch rows already indexed (a row with a docsize entry).
    version: 16,
    name: 'message search: the writer indexes new messages once per commit (no insert trigger)',
    up(db) {
      db.exec(`
        DROP TRIGGER messages_fts_insert;
        DROP TRIGGER messages_fts_delete;
        DROP TRIGGER messages_fts_update;
        -- messages_fts_docsize holds one row per indexed message: a message written in the current
        -- batch is not indexed yet, and indexNewMessages takes its text as it stands at commit.
        CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
          WHEN EXISTS (SELECT 1 FROM messages_fts_docsize WHERE id = old.id) BEGIN
          INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
          WHEN EXISTS (SELECT 1 FROM messages_fts_docsize WHERE id = old.id) BEGIN
          INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
          INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
        END;
      `);
    },
  },
  {
    // Each private message upserted both rows of its pair to raise last_id: two row
    // updates per message (~2 µs of the writer's ~17 in tests/bench/sqlite-writes.ts).
    // The pair's newest message is already at the end of its two ranges of
    // messages_private, so the conversations list reads it from there (two index
    // seeks per peer, conversation-statements.ts directPeers) and a pair's rows are
    // written once, by its first message. The private_senders trigger probed its
    // row at every message too: the writer now writes both tables' rows itself, and
    // only for a pair it does not know yet (known-pairs.ts). Rows another connection
    // inserts without a writer get their private_senders row when a writer next
    // starts or sees that connection's commit (statements.ts adoptPrivateSenders).
    version: 17,
    name: "private pairs: their direct_peers and private_senders rows are written once, by the writer; a pair's newest message is read from messages_private",
    up(db) {
      db.exec(`
        ALTER TABLE direct_peers DROP COLUMN last_id;
        DROP TRIGGER messages_private_sender;
      `);
    },
  },
  {
    // A chat send may carry its sender's idempotency key (protocol ClientKey): a resend
    // after a lost reply names the message already stored instead of storing it again.
    // The key lives on the message row, so it is remembered exactly as long as the
    // message is, and moves with it when the sender is renamed. The index is partial:
    // a message without a key (NULL) adds no entry, so keyless sends cost nothing more.
    version: 18,
    name: 'idempotent sends: messages.client_key, unique per sender',
    up(db) {
      db.exec(`
        ALTER TABLE messages ADD COLUMN client_key TEXT;
        CREATE UNIQUE INDEX messages_client_key ON messages (sender, client_key) WHERE client_key IS NOT NULL;
      `);
    },
  },
  {
    // A profile picture gets a small square WebP of its own (services/files.ts), made
    // when the image is first set as someone's picture. avatar_hash names its blob,
    // counted like thumb_hash: the blob lives while a file record names it. Files
    // stored before stay NULL: their pictures are served by the thumbnail until set again.
    version: 19,
    name: 'avatar pictures: files.avatar_hash',
    up(db) {
      db.exec(`
        ALTER TABLE files ADD COLUMN avatar_hash TEXT;
        CREATE INDEX files_avatar_hash ON files (avatar_hash) WHERE avatar_hash IS NOT NULL;
      `);
    },
  },
  {
    // The key index led by the key: keys are time-ordered (the client library's newClientKey),
    // so every keyed message's entry goes in at the end of the index, on the same few pages,
    // instead of at the end of its sender's range (one page per sender in each group commit,
    // each written again to the WAL). Lookups name both columns, so either order serves them.
    version: 20,
    name: 'idempotent sends: messages_client_key on (client_key, sender)',
    up(db) {
      db.exec(`
        DROP INDEX messages_client_key;
        CREATE UNIQUE INDEX messages_client_key ON messages (client_key, sender) WHERE client_key IS NOT NULL;
      `);
    },
  },
];

/** The newest schema version this code can read and write. */
export const LATEST_SCHEMA_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0;

export function readSchemaVersion(db: Database): number {
  const value = db.pragma('user_version', { simple: true });
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new Error(`SQLite database ${db.name} has an unreadable user_version (${String(value)})`);
  }
  return value;
}

/**
 * Brings the database up to the last step of `steps` (default: MIGRATIONS).
 * Each pending step runs in its own IMMEDIATE transaction together with the
 * user_version bump, so a failed step leaves the file at the previous version
 * and two processes opening one file at once apply every step exactly once.
 * Throws SchemaTooNewError (changing nothing) when the file is newer than `steps`.
 * Returns the versions applied, ascending (empty when already current).
 */
export function applyMigrations(db: Database, steps: readonly Migration[] = MIGRATIONS): number[] {
  assertOrdered(steps);
  const latest = steps.at(-1)?.version ?? 0;
  const current = readSchemaVersion(db);
  if (current > latest) throw new SchemaTooNewError(db.name, current, latest);

  const applied: number[] = [];
  for (const step of steps) {
    if (step.version <= current) continue;
    const run = db.transaction(() => {
      // Re-read under the write lock: another process may have applied it meanwhile.
      const now = readSchemaVersion(db);
      if (now > latest) throw new SchemaTooNewError(db.name, now, latest);
      if (now >= step.version) return false;
      if (now !== step.version - 1) {
        throw new Error(`SQLite database ${db.name} is at schema version ${now}; cannot apply step ${step.version} (${step.name})`);
      }
      step.up(db);
      // PRAGMA takes no bound parameters; the value is a checked integer.
      db.pragma(`user_version = ${step.version}`);
      return true;
    });
    try {
      if (run.immediate()) applied.push(step.version);
    } catch (error) {
      if (error instanceof SchemaTooNewError) throw error;
      throw new Error(`SQLite migration ${step.version} (${step.name}) failed on ${db.name}: ${(error as Error).message}`, { cause: error });
    }
  }
  return applied;
}

function assertOrdered(steps: readonly Migration[]): void {
  steps.forEach((step, index) => {
    if (step.version !== index + 1) {
      throw new Error(`Migration list out of order: entry ${index} has version ${step.version}, expected ${index + 1}`);
    }
  });
}
