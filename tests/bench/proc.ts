// Child processes of the benchmark (server, relay, load workers): each is Node
// running a TypeScript entry through tsx, started via `sh -c 'ulimit -n ...'` so
// it can hold many sockets, and talked to over the IPC channel.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(BENCH_DIR, '..', '..');

/** File descriptors asked for; the shell falls back to the hard limit when it may not raise it. */
const WANTED_FDS = 1_048_576;

export interface IpcMessage {
  type: string;
  [key: string]: unknown;
}

export class BenchProcess {
  private readonly inbox: IpcMessage[] = [];
  private waiters: (() => void)[] = [];
  exited: { code: number | null; signal: string | null } | null = null;
  /** Message types handled as they arrive instead of queued for waitFor(). */
  readonly handlers = new Map<string, (msg: IpcMessage) => void>();

  constructor(
    public name: string,
    readonly child: ChildProcess,
  ) {
    child.on('message', (msg: IpcMessage) => {
      const handler = this.handlers.get(msg.type);
      if (handler) return handler(msg);
      this.inbox.push(msg);
      this.wake();
    });
    child.on('exit', (code, signal) => {
      this.exited = { code, signal };
      this.wake();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  send(msg: IpcMessage): void {
    if (this.child.connected) this.child.send(msg);
  }

  /**
   * Resolves the next message of `type` (taking it from the inbox). Rejects on
   * an `error` message, when the process exits, or after `timeoutMs`.
   */
  async waitFor<T extends { type: string }>(type: string, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const error = this.inbox.findIndex((m) => m.type === 'error');
      if (error !== -1) throw new Error(`${this.name}: ${String(this.inbox.splice(error, 1)[0]!.message)}`);
      const index = this.inbox.findIndex((m) => m.type === type);
      if (index !== -1) return this.inbox.splice(index, 1)[0] as unknown as T;
      if (this.exited) throw new Error(`${this.name} exited (code ${this.exited.code}, signal ${this.exited.signal}) before sending "${type}"`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no "${type}" within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Asks the process to stop, then kills it if it has not exited within `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.exited) return;
    this.send({ type: 'stop' });
    const deadline = Date.now() + graceMs;
    while (!this.exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!this.exited) {
      this.child.kill('SIGKILL');
      const hard = Date.now() + 2_000;
      while (!this.exited && Date.now() < hard) await new Promise((r) => setTimeout(r, 20));
    }
  }
}

export interface SpawnOptions {
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

/** Starts `node --import tsx <entry>` under a raised fd limit, with an IPC channel. */
export function spawnEntry(name: string, entry: string, args: string[], options: SpawnOptions = {}): BenchProcess {
  const script = `ulimit -n ${WANTED_FDS} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`;
  const child = spawn('sh', ['-c', script, 'sh', process.execPath, ...(options.nodeArgs ?? []), '--import', 'tsx', path.join(BENCH_DIR, entry), ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...options.env },
  });
  return new BenchProcess(name, child);
}

/** Resident set size of a process in bytes, from /proc/PID/status (VmRSS). */
export async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** The open-files limit a child started by spawnEntry gets (soft = hard after the ulimit dance). */
export async function childFdLimit(): Promise<number> {
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync('sh', ['-c', `ulimit -n ${WANTED_FDS} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; ulimit -n`], { encoding: 'utf8' });
  return Number(out.trim());
}

/**
 * Hands out started processes. With `prespawn` (smoke runs) a spare of each
 * entry is started ahead so Node + tsx start-up overlaps other work; full runs
 * start processes on demand so nothing compiles while a measurement runs.
 */
export class ProcessPool {
  private readonly spares = new Map<string, BenchProcess>();

  constructor(private readonly prespawn: boolean) {}

  private key(entry: string, nodeArgs: readonly string[]): string {
    return `${entry} ${nodeArgs.join(' ')}`;
  }

  take(name: string, entry: string, nodeArgs: string[] = []): BenchProcess {
    const key = this.key(entry, nodeArgs);
    let proc = this.spares.get(key);
    this.spares.delete(key);
    if (!proc || proc.exited) proc = spawnEntry(name, entry, [], { nodeArgs });
    proc.name = name;
    if (this.prespawn) this.spares.set(key, spawnEntry(`spare ${entry}`, entry, [], { nodeArgs }));
    return proc;
  }

  async close(): Promise<void> {
    const all = [...this.spares.values()];
    this.spares.clear();
    await Promise.all(all.map((p) => p.stop(1_000)));
  }
}

/** CPU time a process has used so far in user space and in the kernel (syscalls: mostly socket I/O here), ms, from /proc/PID/stat (10 ms ticks). */
export async function cpuSplitOf(pid: number): Promise<{ userMs: number; systemMs: number }> {
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at ") ".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { userMs: Number(fields[11]) * 10, systemMs: Number(fields[12]) * 10 };
}
