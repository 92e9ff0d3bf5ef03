// Group commit for saveMessage in PostgreSQL: saves queued while a batch is in
// flight are written together by ONE statement (one transaction, one commit),
// however many messages and recipients the batch holds.
//
// MUST: saves take effect in call order on this node: ids increase and each
//       recipient's seqs follow the order of the calls.
// MUST: a save settles only after the statement that wrote it has committed.
// MUST: a failing save (e.g. a recipient that is not a user) fails alone: the
//       batch is rolled back and its saves are retried one by one, in order.
// Cross-node safety: the only row locks taken are on `mailboxes`, all in one
// statement and in byte order of username, so overlapping batches on several
// nodes queue behind each other instead of deadlocking.
import type { QueryResultRow } from 'pg';
import type { ChatMessage } from '../../protocol';
import { assertDistinctRecipients, messageRecord } from '../rules';
import type { NewMessage, Recipient, StoredDelivery } from '../store';
import { rows, toNumber, type Queryable } from './db';

export interface SaveResult {
  message: ChatMessage;
  deliveries: StoredDelivery[];
}

interface Job {
  message: NewMessage;
  recipients: readonly Recipient[];
  resolve: (result: SaveResult) => void;
  reject: (error: unknown) => void;
}

/** Largest batch written by one statement, counted in deliveries (messages count as one at least). */
const MAX_BATCH_WEIGHT = 20_000;

const WRITE_BATCH = `
  WITH msgs AS (
    INSERT INTO messages (id, kind, sender, recipient, group_name, body, ts)
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])
  ), wanted AS (
    SELECT username, count(*) AS n FROM unnest($8::text[]) AS t(username) GROUP BY username
  ), bumped AS (
    INSERT INTO mailboxes (username, last_seq)
    SELECT username, n FROM wanted ORDER BY username COLLATE "C"
    ON CONFLICT (username) DO UPDATE SET last_seq = mailboxes.last_seq + excluded.last_seq
    RETURNING username, last_seq
  ), numbered AS (
    -- The k-th delivery to a user in this batch gets (new last_seq - n + k).
    SELECT d.username, b.last_seq - w.n + row_number() OVER (PARTITION BY d.username ORDER BY d.ord) AS seq, d.message_id, d.offline
    FROM unnest($8::text[], $9::bigint[], $10::boolean[]) WITH ORDINALITY AS d(username, message_id, offline, ord)
    JOIN bumped b ON b.username = d.username
    JOIN wanted w ON w.username = d.username
  ), stored AS (
    INSERT INTO deliveries (username, seq, message_id, offline)
    SELECT username, seq, message_id, offline FROM numbered
  )
  SELECT username, last_seq FROM bumped`;

/** A statement of the batch failed; PostgreSQL rolled it back, nothing was written. */
class StatementFailed extends Error {
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'StatementFailed';
  }
}

export class MessageWriter {
  private queue: Job[] = [];
  private running: Promise<void> | null = null;

  constructor(private readonly db: Queryable) {}

  async save(message: NewMessage, recipients: readonly Recipient[]): Promise<SaveResult> {
    assertDistinctRecipients(recipients);
    return new Promise<SaveResult>((resolve, reject) => {
      this.queue.push({ message, recipients, resolve, reject });
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
        const batch = this.takeBatch();
        try {
          const results = await this.write(batch);
          batch.forEach((job, i) => job.resolve(results[i]!));
        } catch (batchError) {
          // Only a statement that failed (and so rolled back) may be retried;
          // anything else would write the batch twice.
          if (batch.length === 1 || !(batchError instanceof StatementFailed)) {
            const reason = batchError instanceof StatementFailed ? batchError.cause : batchError;
            for (const job of batch) job.reject(reason);
            continue;
          }
          // Find the culprit(s): each save on its own, still in call order.
          for (const job of batch) {
            try {
              job.resolve((await this.write([job]))[0]!);
            } catch (err) {
              job.reject(err instanceof StatementFailed ? err.cause : err);
            }
          }
        }
      }
    } finally {
      this.running = null;
    }
  }

  private takeBatch(): Job[] {
    let weight = 0;
    let count = 0;
    for (const job of this.queue) {
      const w = Math.max(1, job.recipients.length);
      if (count > 0 && weight + w > MAX_BATCH_WEIGHT) break;
      weight += w;
      count++;
    }
    return this.queue.splice(0, count);
  }

  private async query<T extends QueryResultRow>(sql: string, params: unknown[]): Promise<T[]> {
    try {
      return await rows<T>(this.db, sql, params);
    } catch (err) {
      throw new StatementFailed(err);
    }
  }

  /** Writes `jobs` in one statement; results are in job order. */
  private async write(jobs: readonly Job[]): Promise<SaveResult[]> {
    // Ids come from the sequence up front so they follow call order; a failed
    // batch leaves gaps, which ids may have (only seqs must be gap-free).
    const idRows = await this.query<{ id: string }>("SELECT nextval('messages_id_seq') AS id FROM generate_series(1, $1)", [jobs.length]);
    const ids = idRows.map((r) => toNumber(r.id)).sort((a, b) => a - b);
    const messages: ChatMessage[] = jobs.map((job, i) => {
      return messageRecord(ids[i]!, job.message);
    });
    const dNames: string[] = [];
    const dMessage: number[] = [];
    const dOffline: boolean[] = [];
    jobs.forEach((job, i) => {
      for (const r of job.recipients) {
        dNames.push(r.username);
        dMessage.push(messages[i]!.id);
        dOffline.push(r.offline);
      }
    });
    const bumped = await this.query<{ username: string; last_seq: string }>(WRITE_BATCH, [
      messages.map((m) => m.id),
      messages.map((m) => m.kind),
      messages.map((m) => m.from),
      messages.map((m) => m.to ?? null),
      messages.map((m) => m.group ?? null),
      messages.map((m) => m.text),
      messages.map((m) => m.ts),
      dNames,
      dMessage,
      dOffline,
    ]);
    // Replay the numbering: each user's first seq in this batch is last_seq - n + 1.
    const next = new Map<string, number>();
    const counts = new Map<string, number>();
    for (const name of dNames) counts.set(name, (counts.get(name) ?? 0) + 1);
    for (const row of bumped) next.set(row.username, toNumber(row.last_seq) - (counts.get(row.username) ?? 0) + 1);
    return jobs.map((job, i) => {
      const message = messages[i]!;
      const deliveries = job.recipients.map((r): StoredDelivery => {
        const seq = next.get(r.username);
        if (seq === undefined) throw new Error(`saveMessage: no sequence number came back for ${r.username}`);
        next.set(r.username, seq + 1);
        return { username: r.username, seq, offline: r.offline, message };
      });
      return { message, deliveries };
    });
  }
}
