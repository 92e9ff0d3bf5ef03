// A Session for unit tests: the options every test sets the same way (a silent
// log, nothing acknowledged, no away windows, one node, no presence), each one
// overridable.
import type { Connection } from '../../server/connection';
import { createLogger } from '../../server/log';
import { Session, type SessionOptions } from '../../server/services/session';
import type { MessageStore } from '../../server/store/store';

export function testSession(username: string, connection: Connection, store: MessageStore, options: Partial<SessionOptions> = {}): Session {
  return new Session({
    username,
    connection,
    store,
    log: createLogger('silent'),
    resumeFrom: 0,
    acked: 0,
    away: { from: 0, to: 0 },
    previousAway: { from: 0, to: 0 },
    liveInOrder: true,
    wantsPresence: false,
    startedAt: 1,
    ...options,
  });
}
