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

/** A save's outcome: the message stored, or (its sender's key was used already) the id of the earlier message. */
export type Saved = ChatMessage | number;

interface Job {
  message: NewMessage;
  files: MessageFiles | undefined;
  /** The sender's idempotency key (saveOnce), or undefined. */
  clientKey: string | undefined;
  resolve: (result: Saved) => void;
  reject: (error: unknown) => void;
}

/** Largest batch written by one transaction. */
const MAX_BATCH = 2_000;

const INSERT_BATCH = `
  INSERT INTO messages (id, kind, sender, recipient, group_name, group_id, body, ts, reply_to, client_key)
  SELECT t.id, t.kind, t.sender, t.recipient, t.group_name, g.id, t.body, t.ts, t.reply_to, t.client_key
  FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::text[])
       AS t(id, kind, sender, recipient, group_name, body, ts, reply_to, client_key)
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

/**
 * Splits a batch by idempotency key: `fresh` jobs are stored (in order); a job
 * whose sender stored its key before is answered by that message's id (`earlier`),
 * and one repeating the key of a fresh job of this batch by that job (`sameAs`).
 * Runs under the stream lock, so no other save can store a key in between.
 */
async function sortByKey(client: PoolClient, jobs: readonly Job[]): Promise<{ fresh: Job[]; earlier: Map<Job, number>; sameAs: Map<Job, Job> }> {
  const keyed = jobs.filter((job) => job.clientKey !== undefined);
  const earlier = new Map<Job, number>();
  const sameAs = new Map<Job, Job>();
  if (keyed.length === 0) return { fresh: [...jobs], earlier, sameAs };
  const found = await rows<{ sender: string; client_key: string; id: string }>(
    client,
    `SELECT m.sender, m.client_key, m.id FROM unnest($1::text[], $2::text[]) AS k(sender, client_key)
       JOIN messages m ON m.sender = k.sender AND m.client_key = k.client_key AND m.client_key IS NOT NULL`,
    [keyed.map((job) => job.message.from), keyed.map((job) => job.clientKey)],
  );
  const stored = new Map(found.map((r) => [`${r.sender}\0${r.client_key}`, toNumber(r.id)]));
  const firstInBatch = new Map<string, Job>();
  const fresh: Job[] = [];
  for (const job of jobs) {
    if (job.clientKey !== undefined) {
      const key = `${job.message.from}\0${job.clientKey}`;
      const id = stored.get(key);
      const first = firstInBatch.get(key);
      if (id !== undefined) {
        earlier.set(job, id);
        continue;
      }
      if (first) {
        sameAs.set(job, first);
        continue;
      }
      firstInBatch.set(key, job);
    }
    fresh.push(job);
  }
  return { fresh, earlier, sameAs };
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
    // Without a key a save never resolves an earlier id.
    return this.enqueue(message, files, undefined) as Promise<ChatMessage>;
  }

  /**
   * save() with the sender's idempotency key: resolves the id of the message the
   * sender stored with `clientKey` before (committed, or earlier in the same batch)
   * without storing anything, else the message stored with the key. The check runs
   * under the stream's advisory lock, which every node's saves take, so it and the
   * insert are one step; the unique index messages_client_key_idx backs it.
   */
  saveOnce(message: NewMessage, clientKey: string, files?: MessageFiles): Promise<Saved> {
    return this.enqueue(message, files, clientKey);
  }

  private enqueue(message: NewMessage, files: MessageFiles | undefined, clientKey: string | undefined): Promise<Saved> {
    return new Promise<Saved>((resolve, reject) => {
      this.queue.push({ message, files, clientKey, resolve, reject });
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
  private async write(jobs: readonly Job[]): Promise<Saved[]> {
    let committed = false;
    try {
      const results = await inTransaction(this.pool, async (client) => {
        // Keyed by schema, so separate chat systems (and test runs) in one database do not wait on each other.
        await client.query("SELECT pg_advisory_xact_lock(hashtextextended('chat-stream:' || current_schema(), 0))");
        const { fresh, earlier, sameAs } = await sortByKey(client, jobs);
        const idRows =
          fresh.length === 0 ? [] : await rows<{ id: string }>(client, "SELECT nextval('messages_id_seq') AS id FROM generate_series(1, $1)", [fresh.length]);
        const ids = idRows.map((r) => toNumber(r.id)).sort((a, b) => a - b);
        const stored = fresh.map((job, i) => messageRecord(ids[i]!, job.message, job.message.replyTo ? { replyTo: job.message.replyTo } : undefined));
        const inserted = await rows<{ id: string; kind: string; group_id: string | null; recipient_ok: boolean }>(client, INSERT_BATCH, [
          stored.map((m) => m.id),
          stored.map((m) => m.kind),
          stored.map((m) => m.from),
          stored.map((m) => m.to ?? null),
          stored.map((m) => m.group ?? null),
          stored.map((m) => m.text),
          stored.map((m) => m.ts),
          stored.map((m) => m.replyTo?.id ?? null),
          fresh.map((job) => job.clientKey ?? null),
        ]);
        for (const row of inserted) {
          if (row.kind === 'group' && row.group_id === null) throw new Error(`saveMessage: no group for message ${row.id}`);
          if (!row.recipient_ok) throw new Error(`saveMessage: the recipient of message ${row.id} is not a user`);
        }
        await upsertDirectPeers(client, stored);
        for (const [i, job] of fresh.entries()) {
          const id = stored[i]!.id;
          if (job.files) await insertAttachments(client, id, job.files.ids);
        }
        const byJob = new Map(fresh.map((job, i) => [job, stored[i]!]));
        return jobs.map((job): Saved => byJob.get(job) ?? earlier.get(job) ?? byJob.get(sameAs.get(job)!)!.id);
      });
      committed = true;
      return results;
    } catch (err) {
      // inTransaction rolled back unless the COMMIT itself is what failed (then the outcome is unknown).
      throw committed ? err : new BatchFailed(err);
    }
  }
}
