// The peer servers the benchmark compares ours with: ngIRCd and InspIRCd from
// Debian. Finds them (or says how to install them), writes each one's config
// into a temporary directory with the settings that keep it from throttling a
// load test (BENCHMARKS.md, "Fairness"), starts it so that the PID measured is
// the server itself, waits until it accepts connections, and stops it.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const PEER_NAMES = ['ngircd', 'inspircd'] as const;
export type PeerName = (typeof PEER_NAMES)[number];

/** Send and receive queue limit of every server under test, ours included: 16 MiB. */
export const SEND_QUEUE_BYTES = 16 * 1024 * 1024;

interface PeerFacts {
  title: string;
  /** Debian package that provides it. */
  aptPackage: string;
  executable: string;
}

const FACTS: Record<PeerName, PeerFacts> = {
  ngircd: { title: 'ngIRCd', aptPackage: 'ngircd', executable: 'ngircd' },
  inspircd: { title: 'InspIRCd', aptPackage: 'inspircd', executable: 'inspircd' },
};

export function peerTitle(name: PeerName): string {
  return FACTS[name].title;
}

export type PeerAvailability = { name: PeerName; available: true; binary: string; version: string } | { name: PeerName; available: false; reason: string };

/** Where binaries are looked for: PATH, then the sbin directories Debian installs servers into. */
export function defaultSearchDirs(): string[] {
  return [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
}

function locate(executable: string, dirs: readonly string[]): string | null {
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, executable);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Whether `name` can run here; when not, a reason that says how to install it. */
export function findPeer(name: PeerName, searchDirs: readonly string[] = defaultSearchDirs()): PeerAvailability {
  const facts = FACTS[name];
  const binary = locate(facts.executable, searchDirs);
  if (!binary) {
    return { name, available: false, reason: `${facts.title} is not installed (Debian/Ubuntu: apt-get install ${facts.aptPackage})` };
  }
  if (name === 'inspircd' && process.getuid?.() === 0 && !locate('setpriv', defaultSearchDirs())) {
    return { name, available: false, reason: 'InspIRCd refuses to run as root and setpriv (util-linux) is missing to drop privileges' };
  }
  let version = 'unknown version';
  try {
    const out = execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 5_000, stdio: ['ignore', 'pipe', 'pipe'] });
    version =
      out
        .split('\n')
        .find((l) => /\d+\.\d+/.test(l))
        ?.trim() ?? version;
  } catch (err) {
    const out = (err as { stdout?: string }).stdout ?? '';
    version =
      out
        .split('\n')
        .find((l) => /\d+\.\d+/.test(l))
        ?.trim() ?? version;
  }
  return { name, available: true, binary, version };
}

/**
 * ngIRCd 26 configuration. No penalty delays (MaxPenaltyTime 0), no connection,
 * per-address or channel limits, no DNS, ident or PAM, pings far beyond a run.
 * What stays built in: 3 commands per client per loop pass, a 32 KiB write
 * buffer per client, and a listen backlog of 10.
 */
export function ngircdConfig(o: { port: number }): string {
  return [
    '[Global]',
    '\tName = bench.ngircd',
    '\tInfo = chat benchmark peer',
    '\tAdminInfo1 = benchmark',
    '\tAdminInfo2 = loopback',
    '\tAdminEMail = bench@localhost',
    '\tListen = 127.0.0.1',
    `\tPorts = ${o.port}`,
    '\tMotdPhrase = "benchmark"',
    '[Limits]',
    '\tMaxConnections = 0',
    '\tMaxConnectionsIP = 0',
    '\tMaxJoins = 0',
    '\tMaxNickLength = 30',
    '\tMaxPenaltyTime = 0',
    '\tMaxListSize = 100',
    '\tIdleTimeout = 0',
    '\tPingTimeout = 3600',
    '\tPongTimeout = 3600',
    '[Options]',
    '\tDNS = no',
    '\tIdent = no',
    '\tPAM = no',
    '\tMorePrivacy = no',
    '\tScrubCTCP = no',
    '',
  ].join('\n');
}

/**
 * InspIRCd 3 configuration. One connect class with fake lag off, flood
 * thresholds out of reach, 16 MiB send and receive queues, no per-address or
 * class limits, no DNS or ident; a connection soft limit above the run's
 * connections and an accept backlog of 4096. It completes registrations on a
 * one-second tick, so many may be in flight at once.
 */
export function inspircdConfig(o: { port: number; softlimit: number; motdFile: string }): string {
  const big = 1_000_000_000;
  return [
    '<server name="bench.inspircd" description="chat benchmark peer" network="bench">',
    '<admin name="benchmark" nick="bench" email="bench@localhost">',
    `<bind address="127.0.0.1" port="${o.port}" type="clients">`,
    '<connect name="bench" allow="*" timeout="3600" pingfreq="3600"',
    `         fakelag="no" threshold="${big}" commandrate="${big}"`,
    `         hardsendq="${SEND_QUEUE_BYTES}" softsendq="${SEND_QUEUE_BYTES}" recvq="${SEND_QUEUE_BYTES}"`,
    '         localmax="1000000" globalmax="1000000" limit="1000000" maxchans="100"',
    '         resolvehostnames="no" useident="no">',
    `<performance softlimit="${o.softlimit}" somaxconn="4096" quietbursts="yes" clonesonconnect="no">`,
    '<limits maxnick="30">',
    '<channels users="100" opers="100">',
    `<files motd="${o.motdFile}">`,
    '<options syntaxhints="no">',
    '<security hideserver="" userstats="Pu">',
    '',
  ].join('\n');
}

/** A free loopback port (released before the peer binds it; the gap is milliseconds). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port; rejects when `child` exits or after `timeoutMs`. */
async function waitForListener(port: number, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited (${child.exitCode ?? child.signalCode}) before listening: ${output().trim().slice(-500)}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`not listening on port ${port} after ${timeoutMs} ms: ${output().trim().slice(-500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface PeerProcess {
  name: PeerName;
  /** The server's own PID (setpriv and the shell exec into it): CPU and RSS are read from it. */
  pid: number;
  port: number;
  version: string;
  stop(): Promise<void>;
}

/**
 * Starts `peer` on a free loopback port with its generated config and waits
 * until it accepts connections. `connections` sizes InspIRCd's soft limit;
 * `fdLimit` is the open-files limit the process gets (the runner's hard limit).
 */
export async function startPeer(peer: PeerAvailability & { available: true }, o: { connections: number; fdLimit: number }): Promise<PeerProcess> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `chat-bench-${peer.name}-`));
  // InspIRCd runs as nobody and must read its config.
  chmodSync(dir, 0o755);
  const port = await freePort();
  let argv: string[];
  if (peer.name === 'ngircd') {
    const conf = path.join(dir, 'ngircd.conf');
    writeFileSync(conf, ngircdConfig({ port }), { mode: 0o644 });
    // -n: stay in the foreground, so the PID is the server's. It drops root to nobody on its own.
    argv = [peer.binary, '-n', '-f', conf];
  } else {
    const conf = path.join(dir, 'inspircd.conf');
    const motd = path.join(dir, 'motd.txt');
    writeFileSync(motd, 'benchmark\n', { mode: 0o644 });
    // At least the connection count plus a margin, never above what the process may open.
    const softlimit = Math.max(1024, Math.min(o.fdLimit, o.connections + 1_000));
    writeFileSync(conf, inspircdConfig({ port, softlimit, motdFile: motd }), { mode: 0o644 });
    const inspircd = [peer.binary, `--config=${conf}`, '--nofork', '--nopid'];
    // It refuses root: setpriv drops to nobody and execs, so the PID stays the server's.
    argv = process.getuid?.() === 0 ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', ...inspircd] : inspircd;
  }
  // The shell raises the open-files limit, then execs: the PID is the server's.
  const script = `ulimit -n ${o.fdLimit} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`;
  const child = spawn('sh', ['-c', script, 'sh', ...argv], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    await waitForListener(port, child, () => output, 15_000);
  } catch (err) {
    child.kill('SIGKILL');
    cleanup();
    throw new Error(`${peerTitle(peer.name)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return {
    name: peer.name,
    pid: child.pid!,
    port,
    version: peer.version,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
        if (!killed) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      cleanup();
    },
  };
}
