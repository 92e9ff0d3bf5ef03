// The deployment files as tests read them (Dockerfile instructions, compose.yaml,
// the systemd unit), and a real nginx started with the compose file's own proxy
// configuration, rewritten only to point at local ports.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from './cli';

export interface DockerInstruction {
  /** Upper-case instruction (FROM, RUN, COPY, ...). */
  op: string;
  /** Arguments, continuation lines joined with single spaces. */
  args: string;
  line: number;
}

/** Splits a Dockerfile into instructions: comments dropped, `\` continuations joined. */
export function parseDockerfile(text: string): DockerInstruction[] {
  const out: DockerInstruction[] = [];
  let pending: { text: string; line: number } | null = null;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd();
    if (pending === null && (line.trim() === '' || line.trimStart().startsWith('#'))) return;
    if (pending !== null && line.trimStart().startsWith('#')) return;
    const continued = line.endsWith('\\');
    const body = continued ? line.slice(0, -1) : line;
    pending = pending ? { text: `${pending.text} ${body.trim()}`, line: pending.line } : { text: body.trim(), line: index + 1 };
    if (!continued) {
      const m = /^(\S+)\s*(.*)$/.exec(pending.text)!;
      out.push({ op: m[1]!.toUpperCase(), args: m[2]!.replace(/\s+/g, ' ').trim(), line: pending.line });
      pending = null;
    }
  });
  return out;
}

/** A systemd unit: section name → key → every value it was given, in order (comments dropped). */
export type SystemdUnit = Map<string, Map<string, string[]>>;

/** Parses a systemd unit file (no line continuations: the unit in server/deploy has none). */
export function parseSystemdUnit(text: string): SystemdUnit {
  const sections: SystemdUnit = new Map();
  let current: Map<string, string[]> | undefined;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(trimmed);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const m = /^([A-Za-z]+)=(.*)$/.exec(trimmed);
    if (!m || !current) throw new Error(`not a unit line: ${line}`);
    current.set(m[1]!, [...(current.get(m[1]!) ?? []), m[2]!]);
  }
  return sections;
}

export interface ComposeService {
  image?: string;
  build?: string | { context: string };
  environment?: Record<string, string> | string[];
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] | string };
  command?: string[] | string;
  [key: string]: unknown;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export function loadCompose(): ComposeFile {
  // merge: the nodes share one definition through a YAML anchor and `<<:`.
  return parseYaml(readFileSync(path.join(REPO_ROOT, 'compose.yaml'), 'utf8'), { merge: true }) as ComposeFile;
}

/** The proxy configuration compose.yaml mounts as /etc/nginx/nginx.conf, as a path in the repository. */
export function composeNginxConfigPath(compose: ComposeFile = loadCompose()): string {
  const mount = Object.values(compose.services)
    .flatMap((s) => s.volumes ?? [])
    .find((v) => v.split(':')[1] === '/etc/nginx/nginx.conf');
  if (!mount) throw new Error('compose.yaml mounts no /etc/nginx/nginx.conf');
  return path.join(REPO_ROOT, mount.split(':')[0]!);
}

/** The nginx binary, or null (tests then skip, or fail where services are required). */
export function findNginx(): string | null {
  for (const candidate of ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx']) if (existsSync(candidate)) return candidate;
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : null;
}

/**
 * What a suite that needs nginx does: run with the binary found; without one, fail where
 * the services are `required` (CI=true or 1, or CHAT_TEST_REQUIRE_SERVICES=1: see
 * servicesRequired in ./services) so a CI image that lost nginx cannot pass silently,
 * and elsewhere skip, saying why.
 */
export type NginxGate = { run: string } | { fail: string } | { skip: string };

/** The gate for `nginx` (a path, or null when not installed). */
export function nginxGate(nginx: string | null, required: boolean): NginxGate {
  if (nginx !== null) return { run: nginx };
  return required ? { fail: 'nginx is not installed' } : { skip: 'skipped: nginx is not installed' };
}

/**
 * Declares the suites of a vitest file that needs nginx: `declare(nginx)` when it is
 * installed; otherwise a suite `name` with one failing test titled `needs nginx (INSTALL)`
 * in CI, or a skipped suite `name (skipped: nginx is not installed)` elsewhere (see
 * nginxGate). Await it at the top level of the file (`declare` may be asynchronous).
 * vitest is loaded here, not at the top: the browser suite (Playwright) imports this module too.
 */
export async function describeWithNginx(name: string, install: string, declare: (nginx: string) => void | Promise<void>): Promise<void> {
  const [{ describe, it }, { servicesRequired }] = await Promise.all([import('vitest'), import('./services')]);
  const gate = nginxGate(findNginx(), servicesRequired());
  if ('run' in gate) {
    await declare(gate.run);
  } else if ('fail' in gate) {
    const reason = gate.fail;
    describe(name, () => {
      it(`needs nginx (${install})`, () => {
        throw new Error(reason);
      });
    });
  } else {
    describe.skip(`${name} (${gate.skip})`, () => {});
  }
}

/** A TCP port that was free a moment ago (nginx cannot report a port 0 it picked). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface LocalNode {
  tcpPort: number;
  wsPort: number;
}

export interface RenderedPorts {
  httpPort: number;
  tcpPort: number;
  /** chat1, chat2, ... in the order of the compose file's upstreams. */
  nodes: LocalNode[];
}

/**
 * Rewrites the compose proxy configuration for this machine: `chatN:4001` and
 * `chatN:4000` become the local nodes' ports, the listeners bind loopback on free
 * ports, and Debian's stream module is loaded where nginx has it as a module.
 * Everything else (timeouts, headers, upgrade handling) is the file as shipped.
 */
export function renderNginxConfig(text: string, ports: RenderedPorts): string {
  let out = text.replace(/\bchat(\d+):(4000|4001)\b/g, (_all, n: string, port: string) => {
    const node = ports.nodes[Number(n) - 1];
    if (!node) throw new Error(`nginx.conf names chat${n}, but only ${ports.nodes.length} nodes were given`);
    return `127.0.0.1:${port === '4000' ? node.tcpPort : node.wsPort}`;
  });
  const http = out.match(/^\s*listen 80;/gm)?.length ?? 0;
  const tcp = out.match(/^\s*listen 4000;/gm)?.length ?? 0;
  if (http !== 1 || tcp !== 1) throw new Error(`expected one "listen 80;" and one "listen 4000;" in nginx.conf, found ${http} and ${tcp}`);
  out = out.replace(/^(\s*)listen 80;/m, `$1listen 127.0.0.1:${ports.httpPort};`).replace(/^(\s*)listen 4000;/m, `$1listen 127.0.0.1:${ports.tcpPort};`);
  const streamModule = '/usr/lib/nginx/modules/ngx_stream_module.so';
  if (existsSync(streamModule)) out = `load_module ${streamModule};\n${out}`;
  return out;
}

export interface RunningNginx {
  httpPort: number;
  tcpPort: number;
  /** What nginx wrote to stderr (its error log). */
  readonly stderr: string;
  stop(): Promise<void>;
}

/** Starts nginx in the foreground with `config` (its pid and temp files in a fresh directory). */
export async function startNginx(nginx: string, config: string, ports: { httpPort: number; tcpPort: number }): Promise<RunningNginx> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chat-nginx-'));
  const file = path.join(dir, 'nginx.conf');
  await writeFile(file, config);
  // The configuration logs requests to /dev/stdout (the container's log). Node's pipes are
  // sockets, which /dev/stdout cannot be opened on, so nginx's stdout is a file here.
  const accessLog = openSync(path.join(dir, 'access.log'), 'a');
  const check = spawnSync(nginx, ['-t', '-q', '-p', dir, '-c', file, '-g', `pid ${dir}/nginx.pid;`], {
    encoding: 'utf8',
    stdio: ['ignore', accessLog, 'pipe'],
  });
  if (check.status !== 0) {
    closeSync(accessLog);
    throw new Error(`nginx -t refused the configuration: ${check.stderr}`);
  }
  const child: ChildProcess = spawn(nginx, ['-p', dir, '-c', file, '-g', `daemon off; pid ${dir}/nginx.pid;`], { stdio: ['ignore', accessLog, 'pipe'] });
  closeSync(accessLog);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Ready when both listeners accept connections.
  const deadline = Date.now() + 10_000;
  for (const port of [ports.httpPort, ports.tcpPort]) {
    for (;;) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (ok) break;
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`nginx did not listen on ${port}: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    ...ports,
    get stderr() {
      return stderr;
    },
    async stop() {
      if (child.exitCode === null) {
        // SIGQUIT: graceful shutdown; SIGKILL after 5 s keeps the wait bounded.
        child.kill('SIGQUIT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
