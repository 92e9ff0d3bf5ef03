// Group commit for saveMessage in PostgreSQL: saves queued while a batch is in
// flight are written together (one transaction, one commit), however many
// messages the batch holds. A message is one row whatever its audience.
//
// MUST: saves take effect in call order on this node: ids increase with calls.
// MUST: a save settles only after the transaction that wrote it has committed.
// MUST: positions become visible in order across all nodes: ids are drawn and
//       committed under one transaction-level advisory lock per schema, so a
//       reader that sees id N also sees every smaller id (no later commit can
//       fill a hole below what a client already resumed past).
// MUST: a message's files are written in its transaction: both or neither.
// MUST: a failing save (a group, recipient or file that does not exist) fails alone:
//       the batch is rolled back and its saves are retried one by one, in order.
import type { Pool, PoolClient } from 'pg';
import type { ChatMessage } from '../../protocol';
import { messageRecord } from '../rules';
import type { MessageFiles, NewMessage } from '../store';
import { inTransaction, rows, toNumber } from './db';
import { insertAttachments } from './files';

interface Job {
  message: NewMessage;
  files: MessageFiles | undefined;
  resolve: (result: ChatMessage) => void;
  reject: (error: unknown) => void;
}

/** Largest batch written by one transaction. */
const MAX_BATCH = 2_000;

const INSERT_BATCH = `
  INSERT INTO messages (id, kind, sender, recipient, group_name, group_id, body, ts, reply_to)
  SELECT t.id, t.kind, t.sender, t.recipient, t.group_name, g.id, t.body, t.ts, t.reply_to
  FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[])
       AS t(id, kind, sender, recipient, group_name, body, ts, reply_to)
  LEFT JOIN groups g ON t.kind = 'group' AND g.name = t.group_name
  ORDER BY t.id
  RETURNING id, kind, group_id, (recipient IS NULL OR EXISTS (SELECT 1 FROM users u WHERE u.username = recipient)) AS recipient_ok`;

/**
 * Each private message's pair (both directions) gets its newest id: one row per
 * pair, whatever the batch holds (ON CONFLICT may touch a row once per statement).
 */
async function upsertDirectPeers(client: PoolClient, stored: readonly ChatMessage[]): Promise<void> {
  const last = new Map<string, { user: string; peer: string; id: number }>();
  for (const m of stored) {
    if (m.kind !== 'private' || m.to === undefined) continue;
    for (const [user, peer] of [
      [m.from, m.to],
      [m.to, m.from],
    ] as const) {
      const key = `${user}\0${peer}`;
      if ((last.get(key)?.id ?? 0) < m.id) last.set(key, { user, peer, id: m.id });
    }
  }
  if (last.size === 0) return;
  const rowsToWrite = [...last.values()];
  await client.query(
    `INSERT INTO direct_peers (username, peer, last_id) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
     ON CONFLICT (username, peer) DO UPDATE SET last_id = GREATEST(direct_peers.last_id, excluded.last_id)`,
    [rowsToWrite.map((r) => r.user), rowsToWrite.map((r) => r.peer), rowsToWrite.map((r) => r.id)],
  );
}

/** The batch failed inside its transaction; PostgreSQL rolled it back, nothing was written. */
class BatchFailed extends Error {
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'BatchFailed';
  }
}

export class MessageWriter {
  private queue: Job[] = [];
  private running: Promise<void> | null = null;

  constructor(private readonly pool: Pool) {}

  save(message: NewMessage, files?: MessageFiles): Promise<ChatMessage> {
    return new Promise<ChatMessage>((resolve, reject) => {
      this.queue.push({ message, files, resolve, reject });
      this.running ??= this.drain();
    });
  }

  /** Resolves when every save queued so far has settled. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          const results = await this.write(batch);
          batch.forEach((job, i) => job.resolve(results[i]!));
        } catch (batchError) {
          // Only a batch that was rolled back may be retried; anything else could write it twice.
          if (batch.length === 1 || !(batchError instanceof BatchFailed)) {
            const reason = batchError instanceof BatchFailed ? batchError.cause : batchError;
            for (const job of batch) job.reject(reason);
            continue;
          }
          // Find the culprit(s): each save on its own, still in call order.
          for (const job of batch) {
            try {
              job.resolve((await this.write([job]))[0]!);
            } catch (err) {
              job.reject(err instanceof BatchFailed ? err.cause : err);
            }
          }
        }
      }
    } finally {
      this.running = null;
    }
  }

  /** Writes `jobs` in one transaction; results are in job order. */
  private async write(jobs: readonly Job[]): Promise<ChatMessage[]> {
    let committed = false;
    try {
      const messages = await inTransaction(this.pool, async (client) => {
        // Keyed by schema, so separate chat systems (and test runs) in one database do not wait on each other.
        await client.query("SELECT pg_advisory_xact_lock(hashtextextended('chat-stream:' || current_schema(), 0))");
        const idRows = await rows<{ id: string }>(client, "SELECT nextval('messages_id_seq') AS id FROM generate_series(1, $1)", [jobs.length]);
        const ids = idRows.map((r) => toNumber(r.id)).sort((a, b) => a - b);
        const stored = jobs.map((job, i) => messageRecord(ids[i]!, job.message, job.message.replyTo ? { replyTo: job.message.replyTo } : undefined));
        const inserted = await rows<{ id: string; kind: string; group_id: string | null; recipient_ok: boolean }>(client, INSERT_BATCH, [
          stored.map((m) => m.id),
          stored.map((m) => m.kind),
          stored.map((m) => m.from),
          stored.map((m) => m.to ?? null),
          stored.map((m) => m.group ?? null),
          stored.map((m) => m.text),
          stored.map((m) => m.ts),
          stored.map((m) => m.replyTo?.id ?? null),
        ]);
        for (const row of inserted) {
          if (row.kind === 'group' && row.group_id === null) throw new Error(`saveMessage: no group for message ${row.id}`);
          if (!row.recipient_ok) throw new Error(`saveMessage: the recipient of message ${row.id} is not a user`);
        }
        await upsertDirectPeers(client, stored);
        for (const [i, job] of jobs.entries()) {
          const id = stored[i]!.id;
          if (job.files) await insertAttachments(client, id, job.files.ids);
        }
        return stored;
      });
      committed = true;
      return messages;
    } catch (err) {
      // inTransaction rolled back unless the COMMIT itself is what failed (then the outcome is unknown).
      throw committed ? err : new BatchFailed(err);
    }
  }
}
