// Versioned schema steps for the PostgreSQL store and the runner that applies
// them. Several nodes may start at once: the runner serialises them with a
// transaction-level advisory lock, so each step runs exactly once per schema.
import type { PoolClient } from 'pg';

export interface Migration {
  /** Strictly increasing, starting at 1. Never renumber or edit a released step. */
  version: number;
  name: string;
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
    // Two accounts with one canonical form are never merged: the step fails,
    // naming them, and the whole migration rolls back. The names the protocol
    // allows are ASCII, where lower(normalize(..., NFKC)) equals the server's
    // canonicalName(); new rows get name_key from canonicalName() itself.
    sql: `
      DO $$
      DECLARE clash text;
      BEGIN
        SELECT string_agg(spellings, '; ') INTO clash FROM (
          SELECT string_agg('"' || username || '"', ' and ' ORDER BY created_at, username) AS spellings
          FROM users GROUP BY lower(normalize(username, NFKC)) HAVING count(*) > 1
        ) AS clashes;
        IF clash IS NOT NULL THEN
          RAISE EXCEPTION 'user names must be unique ignoring case and Unicode form, but these accounts clash: %. Nothing was changed. Rename or delete all but one of each (see the README, "Canonical user names"), then start again.', clash;
        END IF;
      END $$;
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
    version: 9,
    name: 'direct peers: private messages by recipient and sender',
    sql: `
      -- With messages_private_idx (sender, recipient, id), a loose index scan lists a
      -- user's direct peers in both directions (who gets their presence changes).
      CREATE INDEX messages_peers_idx ON messages (recipient, sender) WHERE kind = 'private';
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
