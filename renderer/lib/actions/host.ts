// Host mode (desktop only): start and stop the server bundled with the app.
import type { HostStatus } from '../client/client';
import { toWireError } from '../client/errors';
import { client } from './client-ref';
import { describeError } from './describe-error';

/** True when this client can run a bundled server (the Electron app). */
export function hostAvailable(): boolean {
  return client().host !== null;
}

export interface HostOutcome {
  status: HostStatus | null;
  error: string | null;
}

async function run(call: () => Promise<HostStatus> | undefined): Promise<HostOutcome> {
  try {
    const status = await call();
    return { status: status ?? null, error: null };
  } catch (err) {
    return { status: null, error: describeError(toWireError(err)) };
  }
}

export const hostStatus = () => run(() => client().host?.status());
/** Ports: TCP line protocol and HTTP/WebSocket; 0 picks a free one. */
export const hostStart = (port: number, wsPort: number) => run(() => client().host?.start(port, wsPort));
export const hostStop = () => run(() => client().host?.stop());
