// The audit log: who signed in (or failed to) from where, lockouts, password
// changes, registrations and admin actions, written to the store (AdminStore).
// Recording never fails the action it describes: a store error is logged instead.
import type { AdminStore, AuditEntry } from '../store/store';

/** Every action the log records (README, "Audit log"). */
export const AUDIT_ACTIONS = [
  'sign-in',
  'sign-in-failed',
  'sign-in-refused',
  'lockout',
  'token-reuse',
  'registered',
  'password-changed',
  'user-added',
  'user-locked',
  'user-unlocked',
  'user-deleted',
  'user-renamed',
  'session-ended',
  'group-deleted',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditEvent = Partial<Omit<AuditEntry, 'id' | 'at' | 'action'>> & { action: AuditAction };

export class AuditService {
  constructor(
    private readonly store: AdminStore,
    /** Where a failed write is reported (the node's logger, or stderr in the CLI). */
    private readonly log: { error(details: object, message: string): void },
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves once the entry is committed (or its failure logged). */
  async record(event: AuditEvent): Promise<void> {
    try {
      await this.store.appendAudit({
        at: this.now(),
        action: event.action,
        actor: event.actor ?? null,
        username: event.username ?? null,
        address: event.address ?? null,
        detail: event.detail ?? null,
      });
    } catch (err) {
      this.log.error({ err, action: event.action, user: event.username }, 'could not write the audit log');
    }
  }
}
