// Times the store's writes for the commit-latency metric without touching any
// backend: a proxy over each role object that measures the methods which
// change state (their promises resolve only after the commit, see store.ts).
import type { Store } from './store';

/** Methods that write, by role. Reads pass through untimed. */
const WRITES: Record<string, ReadonlySet<string>> = {
  accounts: new Set([
    'createUser',
    'setPasswordHash',
    'recordLogin',
    'clearFailedLogins',
    'createToken',
    'rotateToken',
    'revokeToken',
    'revokeTokenFamily',
    'revokeTokensOf',
    'setProfile',
  ]),
  blocks: new Set(['block', 'unblock']),
  groups: new Set(['createGroup', 'addGroupMembers', 'removeGroupMembers']),
  messages: new Set(['saveMessage', 'saveMessageOnce', 'ack', 'markRead', 'setReadReceipts', 'editMessage', 'deleteMessage', 'toggleReaction']),
  admin: new Set(['appendAudit', 'pruneAudit', 'setLock', 'deleteUser', 'renameUser', 'deleteGroup', 'putNodeSessions', 'postSignal', 'pruneSignals']),
};

/** Runs `fn` once `promise` settles, either way (without the rejection `finally` would pass on). */
function whenSettled(promise: Promise<unknown>, fn: () => void): void {
  promise.then(fn, fn);
}

function timedRole<T extends object>(role: string, target: T, observe: (operation: string, seconds: number) => void): T {
  const writes = WRITES[role] ?? new Set<string>();
  // One wrapper per write method, made on first use.
  const wrappers = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  // The caller gets the method's own promise, watched by one callback that runs before
  // the caller's own (registered first): no promise of the wrapper's own in between,
  // so a write waiting for its commit holds one link less, and settles a microtask sooner.
  // A method that throws at once fails like one that rejects, with what it threw.
  const wrap = (operation: string, method: (...a: unknown[]) => Promise<unknown>) =>
    function timedWrite(...args: unknown[]): Promise<unknown> {
      const start = performance.now();
      let result: Promise<unknown>;
      try {
        result = Promise.resolve(method.apply(target, args));
      } catch (err) {
        observe(operation, (performance.now() - start) / 1000);
        // Passed on as thrown, as an async method's rejection would carry it.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        return Promise.reject(err);
      }
      // Passed straight in, not held in a variable: a named closure per write costs a
      // naming call where names are kept (tsx), about 1 µs.
      whenSettled(result, () => observe(operation, (performance.now() - start) / 1000));
      return result;
    };
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof prop !== 'string' || typeof value !== 'function' || !writes.has(prop)) return value;
      let wrapper = wrappers.get(prop);
      if (!wrapper) wrappers.set(prop, (wrapper = wrap(`${role}.${prop}`, value as (...a: unknown[]) => Promise<unknown>)));
      return wrapper;
    },
  });
}

/** `store`, with `observe(operation, seconds)` called after every write settles (committed or failed). */
export function timeStoreWrites<S extends Store>(store: S, observe: (operation: string, seconds: number) => void): S {
  const roles = new Map<string, object>();
  return new Proxy(store, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof prop === 'string' && prop in WRITES && typeof value === 'object' && value !== null) {
        let wrapped = roles.get(prop);
        if (!wrapped) roles.set(prop, (wrapped = timedRole(prop, value, observe)));
        return wrapped;
      }
      // Methods of the store itself (close, a backend's extras) run on the real object.
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(obj) : value;
    },
  });
}
