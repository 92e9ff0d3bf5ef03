// One buffer for a turn's shared delivery units, built once for every
// connection whose turn holds the same units in the same order.
//
// In a fan-out every recipient's turn is the same delivery buffers (a line or
// a frame per message, shared: OutboundMessage.unit), so joining them per
// connection would copy the same bytes once per recipient. The last join is
// kept: a connection whose turn holds exactly those buffers writes it as is.
// MUST: the parts are never modified once kept (units are immutable), and the
// joined buffer is only ever written, never changed.

let lastParts: readonly Buffer[] = [];
let lastJoined: Buffer | null = null;

/** `parts` (at least two) concatenated; the same Buffer for the same parts (by identity, in order) as the previous call. */
export function joinShared(parts: readonly Buffer[]): Buffer {
  if (lastJoined !== null && sameParts(parts, lastParts)) return lastJoined;
  const joined = Buffer.concat(parts);
  // A copy of the array: the caller's turn output is its own to reuse.
  lastParts = parts.slice();
  lastJoined = joined;
  return joined;
}

function sameParts(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Forgets the kept join (end of the turn): its buffers are not held past the fan-out they served. */
export function forgetSharedJoin(): void {
  lastParts = [];
  lastJoined = null;
}
