// Turns anything a client call threw into the protocol's error shape, so the UI
// switches on stable codes only.
import { ErrorCode, isProtocolError, ProtocolError, type WireError } from '../../../server/protocol';

export function toWireError(err: unknown): WireError {
  if (isProtocolError(err)) return err.toWire();
  if (typeof err === 'object' && err !== null && 'code' in err && 'message' in err) {
    const e = err as { code: unknown; message: unknown; retryAfter?: unknown };
    if (typeof e.code === 'string' && typeof e.message === 'string') {
      const wire: WireError = { code: e.code as ErrorCode, message: e.message };
      if (typeof e.retryAfter === 'number') wire.retryAfter = e.retryAfter;
      return wire;
    }
  }
  return { code: ErrorCode.INTERNAL, message: err instanceof Error ? err.message : String(err) };
}

export function fromWireError(error: WireError): ProtocolError {
  return new ProtocolError(error.code, error.message, error.retryAfter);
}
