// How a connection's session ends, shared by both transports. Input the peer
// sent before it left (an ack, its last messages) still runs when its socket
// closes; the session ends once the commands submitted so far have run (the
// core refuses commands still queued once it is told the connection closed).
// A close we start drops queued input. Plain functions over two fields the
// connection keeps, so an idle connection carries no extra object.
import type { ConnectionInput } from '../connection';

export interface PeerCloseState {
  /** We closed (close(), a slow consumer cut off): input still queued is dropped. */
  closedByUs: boolean;
  /** The socket is gone while input it sent still waits in the pump: the session ends once that was handled. */
  endAfterInput: boolean;
}

/** The socket closed; `pumpBusy`: input is still queued in the connection's pump. */
export function socketClosed(c: PeerCloseState, input: ConnectionInput, pumpBusy: boolean): void {
  if (c.closedByUs) void input.closed('disconnected');
  else if (pumpBusy) c.endAfterInput = true;
  else endSession(c, input);
}

/** We start closing: queued input is dropped from now on, so a session waiting for it ends here. */
export function closingByUs(c: PeerCloseState, input: ConnectionInput): void {
  c.closedByUs = true;
  if (c.endAfterInput) endSession(c, input);
}

/** The pump has handled everything; true when that ended the session (the socket had gone). */
export function pumpDrained(c: PeerCloseState, input: ConnectionInput): boolean {
  if (!c.endAfterInput) return false;
  endSession(c, input);
  return true;
}

function endSession(c: PeerCloseState, input: ConnectionInput): void {
  c.endAfterInput = false;
  void input.drained().finally(() => input.closed('disconnected'));
}
