// Connection ids: small increasing integers, unique within the process, for logs.
let last = 0;

export function nextConnectionId(): number {
  return ++last;
}
