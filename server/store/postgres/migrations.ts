// Versioned schema steps for the PostgreSQL store and the runner that applies
// them. Several nodes may start at once: the runner serialises them with a
// transaction-level advisory lock, so each step runs exactly once per schema.
import type { PoolClient } from 'pg';
import { nameClashReport } from '../name-clashes';

export interface Migration {
  /** Strictly increasing, starting at 1. Never renumber or edit a released step. */
  version: number;
  name: string;
  /** Runs first, in the same transaction (search_path set); throws to stop the upgrade. */
  check?(client: PoolClient): Promise<void>;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      -- One namespace for users and groups, so "message alice" can never mean both.
      CREATE TABLE names (
        name text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('user', 'group'))
      );

      CREATE TABLE users (
        username text PRIMARY KEY REFERENCES names (name),
        password_hash text NOT NULL,
        created_at bigint NOT NULL,
        last_login_at bigint
      );
      CREATE INDEX users_last_login_idx ON users (last_login_at) WHERE last_login_at IS NOT NULL;

      -- Keyed by the name typed at sign-in, which need not exist.
      CREATE TABLE login_failures (
        username text PRIMARY KEY,
        failures integer NOT NULL,
        locked_until bigint
      );

      CREATE TABLE tokens (
        token_hash text PRIMARY KEY,
        username text NOT NULL,
        expires_at bigint NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE INDEX tokens_username_idx ON tokens (username);

      CREATE TABLE blocks (
        blocker text NOT NULL,
        blocked text NOT NULL,
        PRIMARY KEY (blocker, blocked)
      );
      CREATE INDEX blocks_blocked_idx ON blocks (blocked);

      CREATE TABLE groups (
        name text PRIMARY KEY REFERENCES names (name),
        owner text NOT NULL,
        created_at bigint NOT NULL
      );

      -- position comes from one sequence, so ORDER BY position is join order.
      CREATE TABLE group_members (
        group_name text NOT NULL REFERENCES groups (name) ON DELETE CASCADE,
        username text NOT NULL,
        position bigserial NOT NULL,
        PRIMARY KEY (group_name, username)
      );
      CREATE INDEX group_members_username_idx ON group_members (username);

      CREATE TABLE messages (
        id bigserial PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('private', 'broadcast', 'group')),
        sender text NOT NULL,
        recipient text,
        group_name text,
        body text NOT NULL,
        ts bigint NOT NULL
      );
      CREATE INDEX messages_private_idx ON messages (sender, recipient, id) WHERE kind = 'private';
      CREATE INDEX messages_group_idx ON messages (group_name, id) WHERE kind = 'group';

      -- One row per recipient that ever got a delivery: the per-recipient sequence
      -- counter. Rows are locked by the saveMessage upsert, which makes seq atomic
      -- across nodes.
      -- The foreign key makes a save naming a non-user fail as a whole.
      CREATE TABLE mailboxes (
        username text PRIMARY KEY REFERENCES users (username),
        last_seq bigint NOT NULL DEFAULT 0,
        last_acked bigint NOT NULL DEFAULT 0
      );

      CREATE TABLE deliveries (
        username text NOT NULL,
        seq bigint NOT NULL,
        message_id bigint NOT NULL REFERENCES messages (id),
        offline boolean NOT NULL,
        PRIMARY KEY (username, seq)
      );
      CREATE INDEX deliveries_offline_idx ON deliveries (username, seq) WHERE offline;
    `,
  },
  {
    version: 2,
    name: 'operations: audit log, sessions reported by nodes, signals from the admin CLI',
    sql: `
      -- Append-only apart from pruning by age (--audit-days).
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        at bigint NOT NULL,
        action text NOT NULL,
        actor text,
        username text,
        address text,
        detail text
      );
      CREATE INDEX audit_log_at_idx ON audit_log (at);
      CREATE INDEX audit_log_user_idx ON audit_log (username, id);

      -- What each node last reported as signed in (replaced as a whole, refreshed periodically).
      CREATE TABLE live_sessions (
        node text NOT NULL,
        username text NOT NULL,
        transport text NOT NULL,
        address text NOT NULL,
        since bigint NOT NULL,
        seen_at bigint NOT NULL,
        PRIMARY KEY (node, username)
      );

      -- Requests of the admin CLI that every running node polls (end a session, a group was deleted).
      CREATE TABLE admin_signals (
        id bigserial PRIMARY KEY,
        kind text NOT NULL,
        subject text NOT NULL,
        detail text NOT NULL,
        at bigint NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'file attachments: uploads, message references, grants, chunked blobs',
    sql: `
      -- One row per upload; hash and thumb_hash name content-addressed blobs
      -- (file_blobs): identical bytes are stored once, whoever sent them to how many.
      CREATE TABLE files (
        id text PRIMARY KEY,
        uploader text NOT NULL,
        name text NOT NULL,
        size bigint NOT NULL,
        type text NOT NULL,
        hash text NOT NULL,
        width integer,
        height integer,
        thumb_hash text,
        created_at bigint NOT NULL
      );
      CREATE INDEX files_hash_idx ON files (hash);
      CREATE INDEX files_thumb_hash_idx ON files (thumb_hash) WHERE thumb_hash IS NOT NULL;
      CREATE INDEX files_created_idx ON files (created_at);

      -- Keyed by message id only: no foreign key into messages, whose layout may change on its own.
      CREATE TABLE message_files (
        message_id bigint NOT NULL,
        position integer NOT NULL,
        file_id text NOT NULL REFERENCES files (id),
        PRIMARY KEY (message_id, position)
      );
      CREATE INDEX message_files_file_idx ON message_files (file_id);

      CREATE TABLE file_grants (
        file_id text NOT NULL REFERENCES files (id),
        kind text NOT NULL CHECK (kind IN ('user', 'group')),
        grantee text NOT NULL,
        PRIMARY KEY (file_id, kind, grantee)
      );

      CREATE TABLE file_settings (
        key text PRIMARY KEY,
        value text NOT NULL
      );

      -- Blob bytes for clusters, in chunks of at most 256 KiB so a range request
      -- reads only the chunks it needs. A file_blobs row is written in the same
      -- transaction as its chunks: it exists only for complete blobs.
      CREATE TABLE file_blobs (
        hash text PRIMARY KEY,
        size bigint NOT NULL
      );
      CREATE TABLE file_chunks (
        hash text NOT NULL REFERENCES file_blobs (hash) ON DELETE CASCADE,
        n integer NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (hash, n)
      );
    `,
  },
  {
    version: 4,
    name: 'lockout: hourly failure cap and one verification in flight per name',
    sql: `
      ALTER TABLE login_failures ADD COLUMN hour_start bigint;
      ALTER TABLE login_failures ADD COLUMN hour_failures integer NOT NULL DEFAULT 0;
      ALTER TABLE login_failures ADD COLUMN lease_until bigint;
    `,
  },
  {
    version: 5,
    name: 'user names unique by canonical form (NFKC + case folding)',
    // Two accounts with one canonical form are never merged: the check fails,
    // naming them, and the whole migration rolls back. The names the protocol
    // allows are ASCII, where lower(normalize(..., NFKC)) equals the server's
    // canonicalName(); new rows get name_key from canonicalName() itself.
    async check(client) {
      const { rows } = await client.query<{ username: string }>('SELECT username FROM users ORDER BY created_at, username');
      const clash = nameClashReport(rows.map((r) => r.username));
      if (clash) throw new MigrationError(clash);
    },
    sql: `
      ALTER TABLE users ADD COLUMN name_key text;
      UPDATE users SET name_key = lower(normalize(username, NFKC));
      ALTER TABLE users ALTER COLUMN name_key SET NOT NULL;
      CREATE UNIQUE INDEX users_name_key_idx ON users (name_key);
    `,
  },
  {
    version: 6,
    name: 'password change time, so every node ends the sessions of a user whose password changed',
    sql: `
      ALTER TABLE users ADD COLUMN password_changed_at bigint;
      CREATE INDEX users_password_changed_idx ON users (password_changed_at) WHERE password_changed_at IS NOT NULL;
    `,
  },
  {
    version: 7,
    name: 'one message stream: mailboxes read from it; positions per user; group surrogate ids and membership spans',
    sql: `
      -- Group ids come from a sequence and are never reused: messages keep the id of
      -- the group they were sent to, and a later group with the same name starts empty.
      ALTER TABLE groups ADD COLUMN id bigserial;
      CREATE UNIQUE INDEX groups_id_idx ON groups (id);

      -- Group messages sent before the current group of that name was created
      -- belonged to an ended group: no id, unreachable.
      ALTER TABLE messages ADD COLUMN group_id bigint;
      UPDATE messages m SET group_id = g.id FROM groups g
        WHERE m.kind = 'group' AND g.name = m.group_name AND g.created_at <= m.ts;

      -- Membership over time, in stream positions: a member sees the group's messages
      -- in (from_pos, to_pos]; to_pos is NULL while still a member. (v1 kept no join
      -- time: current members see the group's messages since its creation.)
      CREATE TABLE member_spans (
        group_id bigint NOT NULL,
        username text NOT NULL,
        from_pos bigint NOT NULL,
        to_pos bigint
      );
      CREATE INDEX member_spans_user_idx ON member_spans (username, group_id);
      INSERT INTO member_spans (group_id, username, from_pos)
        SELECT g.id, gm.username, coalesce((SELECT max(m.id) FROM messages m WHERE m.ts < g.created_at), 0)
        FROM group_members gm JOIN groups g ON g.name = gm.group_name;

      CREATE INDEX messages_inbox_idx ON messages (recipient, id) WHERE kind = 'private';
      CREATE INDEX messages_broadcast_idx ON messages (id) WHERE kind = 'broadcast';
      CREATE INDEX messages_group_id_idx ON messages (group_id, id) WHERE kind = 'group';
      DROP INDEX messages_group_idx;

      -- One row per user: positions in the stream. A per-user seq became the position
      -- of the message it delivered; the last delivery marks a clean sign-out, so
      -- broadcasts after it count as sent while away (never queued), as before.
      CREATE TABLE positions (
        username text PRIMARY KEY REFERENCES users (username),
        acked bigint NOT NULL DEFAULT 0,
        signed_in bigint NOT NULL DEFAULT 0,
        signed_out bigint NOT NULL DEFAULT 0,
        away_from bigint NOT NULL DEFAULT 0,
        away_to bigint NOT NULL DEFAULT 0
      );
      INSERT INTO positions (username, acked, signed_in, signed_out)
        SELECT mb.username,
               coalesce((SELECT max(d.message_id) FROM deliveries d WHERE d.username = mb.username AND d.seq <= mb.last_acked), 0),
               coalesce((SELECT max(d.message_id) FROM deliveries d WHERE d.username = mb.username), 0),
               coalesce((SELECT max(d.message_id) FROM deliveries d WHERE d.username = mb.username), 0)
        FROM mailboxes mb;
      DROP TABLE deliveries;
      DROP TABLE mailboxes;

      -- Blocks over time, in stream positions: while a span is open (to_pos NULL)
      -- the blocker reads nothing from the blocked user; after it closes, what was
      -- sent during it (from_pos, to_pos] stays hidden.
      CREATE TABLE block_spans (
        blocker text NOT NULL,
        blocked text NOT NULL,
        from_pos bigint NOT NULL,
        to_pos bigint
      );
      CREATE INDEX block_spans_blocker_idx ON block_spans (blocker, blocked);
      INSERT INTO block_spans (blocker, blocked, from_pos) SELECT blocker, blocked, 0 FROM blocks;

      -- File grants to a group named it; now they name the group's surrogate id.
      -- A grant stands only if a message of that very group carries the file: a
      -- grant by a group that ended goes, so the group now using its name reads none.
      DELETE FROM file_grants fg WHERE fg.kind = 'group' AND NOT EXISTS (
        SELECT 1 FROM groups g JOIN messages m ON m.group_id = g.id AND m.kind = 'group'
          JOIN message_files mf ON mf.message_id = m.id
        WHERE g.name = fg.grantee AND mf.file_id = fg.file_id);
      UPDATE file_grants fg SET grantee = g.id::text FROM groups g WHERE fg.kind = 'group' AND g.name = fg.grantee;
    `,
  },
  {
    version: 8,
    name: 'sign-in token rotation: token families, rotated state and grace',
    sql: `
      -- A family is every token rotated from one sign-in; a token stored before
      -- rotation is a family of its own, named by its hash.
      ALTER TABLE tokens ADD COLUMN family text;
      UPDATE tokens SET family = token_hash;
      ALTER TABLE tokens ALTER COLUMN family SET NOT NULL;
      ALTER TABLE tokens ADD COLUMN rotated_at bigint;
      ALTER TABLE tokens ADD COLUMN grace_until bigint;
      CREATE INDEX tokens_family_idx ON tokens (family);
    `,
  },
  {
    version: 9,
    name: 'conversations: direct pairs with their last message, read positions per conversation, read-receipt setting',
    sql: `
      -- One row per user and direct peer (both directions), with the pair's newest
      -- message id: upserted by each private send, so listing a user's direct
      -- conversations never scans the stream.
      CREATE TABLE direct_peers (
        username text NOT NULL,
        peer text NOT NULL,
        last_id bigint NOT NULL,
        PRIMARY KEY (username, peer)
      );
      INSERT INTO direct_peers (username, peer, last_id)
        SELECT u, p, max(id) FROM (
          SELECT sender AS u, recipient AS p, id FROM messages WHERE kind = 'private' AND recipient IS NOT NULL
          UNION ALL
          SELECT recipient, sender, id FROM messages WHERE kind = 'private' AND recipient IS NOT NULL) pairs
        GROUP BY u, p;

      -- How far each user has read each conversation ('d:<peer>', 'g:<group id>',
      -- 'e' for Everyone); '*' is the floor below which nothing counts as unread.
      CREATE TABLE read_positions (
        username text NOT NULL,
        conversation text NOT NULL,
        position bigint NOT NULL,
        PRIMARY KEY (username, conversation)
      );
      CREATE INDEX read_positions_conversation_idx ON read_positions (conversation, username);
      -- What users had already received counts as read.
      INSERT INTO read_positions (username, conversation, position)
        SELECT u.username, '*', coalesce(p.acked, 0) FROM users u LEFT JOIN positions p ON p.username = u.username;

      -- Users who turned read receipts off (default: on).
      CREATE TABLE receipts_off (
        username text PRIMARY KEY
      );
    `,
  },
  {
    version: 10,
    name: "upload quotas: a user's files found by uploader",
    sql: 'CREATE INDEX files_uploader_idx ON files (uploader, created_at);',
  },
  {
    version: 11,
    name: 'message search: a GIN index over the words of each message',
    sql: `
      -- An expression index, so an edit of body is indexed by PostgreSQL itself and
      -- creating it indexes the messages already stored. The 'simple' configuration
      -- lower-cases words and neither stems nor drops stop words, so every language
      -- is matched the same way (searches must use this very expression).
      CREATE INDEX messages_body_search_idx ON messages USING gin (to_tsvector('simple'::regconfig, body));
    `,
  },
  {
    version: 12,
    name: 'profiles: a display name and an avatar (an uploaded image) per user',
    sql: `
      ALTER TABLE users ADD COLUMN display_name text;
      -- While set, the file is readable by every user and garbage collection keeps it;
      -- the foreign key makes a collection racing with setProfile fail rather than orphan it.
      ALTER TABLE users ADD COLUMN avatar text REFERENCES files (id);
      CREATE INDEX users_avatar_idx ON users (avatar) WHERE avatar IS NOT NULL;
    `,
  },
  {
    version: 13,
    name: 'message changes: replies, edits, deletions (tombstones) and reactions',
    sql: `
      -- An edit UPDATEs body (indexes over it follow); a deletion sets body to '' and deleted_at.
      ALTER TABLE messages ADD COLUMN reply_to bigint;
      ALTER TABLE messages ADD COLUMN edited_at bigint;
      ALTER TABLE messages ADD COLUMN deleted_at bigint;

      -- One row per (message, user, emoji); seq orders them as they were made.
      CREATE TABLE reactions (
        seq bigserial PRIMARY KEY,
        message_id bigint NOT NULL,
        username text NOT NULL,
        emoji text NOT NULL,
        at bigint NOT NULL,
        UNIQUE (message_id, username, emoji)
      );
      CREATE INDEX reactions_message_idx ON reactions (message_id, seq);
      CREATE INDEX reactions_user_idx ON reactions (username);
    `,
  },
  {
    // A chat send may carry its sender's idempotency key (protocol ClientKey); see the
    // SQLite step 18. On the row, so it lives as long as the message and moves with a
    // rename; the unique index is what makes a resend to any node find the first copy.
    version: 14,
    name: 'idempotent sends: messages.client_key, unique per sender',
    sql: `
      ALTER TABLE messages ADD COLUMN client_key text;
      CREATE UNIQUE INDEX messages_client_key_idx ON messages (sender, client_key) WHERE client_key IS NOT NULL;
    `,
  },
  {
    // The small square picture of a profile picture; see the SQLite step 19. Any node
    // may make it (the blob goes to the shared blob store first) and any node serves it.
    version: 15,
    name: 'avatar pictures: files.avatar_hash',
    sql: `
      ALTER TABLE files ADD COLUMN avatar_hash text;
      CREATE INDEX files_avatar_hash_idx ON files (avatar_hash) WHERE avatar_hash IS NOT NULL;
    `,
  },
  {
    // A new name (a user's, a group's, a rename's) is refused when a group has it in any case:
    // every such check reads `groups WHERE lower(name) = $n`, which scanned every group. The
    // index's expression is exactly that one, or the planner would not use it (names are ASCII,
    // so lower() is canonical). Not unique: a database from before names were compared in any
    // case may hold groups that differ only in case ("Crew" and "crew"); a unique index could not
    // be built on it, and refusing to start would leave the operator no way out but SQL, for
    // groups that harm nothing (each is still found by its exact name). Such groups are kept.
    version: 16,
    name: 'group names found in any case: an index on lower(name)',
    sql: `
      CREATE INDEX groups_lower_name_idx ON groups (lower(name));
    `,
  },
];

/** Highest schema version this code knows. */
export const LATEST_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

/**
 * Brings `schema` up to LATEST_VERSION inside one transaction on `client`.
 * Creates the schema when missing. Idempotent; concurrent callers wait on the
 * advisory lock and then find nothing left to do. Throws MigrationError when
 * the database is newer than this code (an older node must not write to it).
 * `schema` must already be a validated identifier.
 * @returns the versions applied by this call, ascending (empty when up to date)
 */
export async function runMigrations(client: PoolClient, schema: string): Promise<number[]> {
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    // Keyed by schema, so test runs in separate schemas do not wait on each other.
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`chat-migrations:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
         version integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ version: unknown }>(`SELECT max(version) AS version FROM ${schema}.schema_migrations`);
    const raw = rows[0]?.version ?? null;
    const current = raw === null ? 0 : Number(raw);
    if (!Number.isInteger(current) || current < 0) {
      throw new MigrationError(`schema_migrations holds an invalid version: ${JSON.stringify(raw)}`);
    }
    if (current > LATEST_VERSION) {
      throw new MigrationError(`Database schema "${schema}" is at version ${current}, newer than this server knows (${LATEST_VERSION}). Upgrade the server.`);
    }
    await client.query(`SET LOCAL search_path TO ${schema}`);
    for (const step of [...MIGRATIONS].sort((a, b) => a.version - b.version)) {
      if (step.version <= current) continue;
      await step.check?.(client);
      await client.query(step.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [step.version, step.name]);
      applied.push(step.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
