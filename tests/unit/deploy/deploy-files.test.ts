// The container and service files, linted by reading them: no Docker engine or
// systemd runs here, so each file is parsed and held to what the README promises
// (multi-stage build, unprivileged user, health check, data volume; a compose
// topology whose names and ports agree; a hardened unit that systemd accepts).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli';
import { servicesRequired } from '../../helpers/services';
import {
  composeNginxConfigPath,
  loadCompose,
  nginxGate,
  parseDockerfile,
  parseSystemdUnit,
  renderNginxConfig,
  type DockerInstruction,
} from '../../helpers/deploy';

const read = (relative: string) => readFileSync(path.join(REPO_ROOT, relative), 'utf8');

describe('Dockerfile', () => {
  const instructions = parseDockerfile(read('Dockerfile'));
  const stages: { name: string; base: string; body: DockerInstruction[] }[] = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)!;
      stages.push({ base: m[1]!, name: m[2] ?? String(stages.length), body: [] });
    } else stages.at(-1)?.body.push(ins);
  }
  const runtime = stages.at(-1)!;
  const final = (op: string) => runtime.body.filter((i) => i.op === op);

  it('parses: every instruction is a known one', () => {
    const known = new Set([
      'FROM',
      'RUN',
      'COPY',
      'ADD',
      'ENV',
      'ARG',
      'WORKDIR',
      'USER',
      'VOLUME',
      'EXPOSE',
      'HEALTHCHECK',
      'ENTRYPOINT',
      'CMD',
      'STOPSIGNAL',
      'LABEL',
      'SHELL',
    ]);
    for (const i of instructions) expect(known.has(i.op), `line ${i.line}: ${i.op}`).toBe(true);
  });

  it('is multi-stage: a build stage with the native toolchain, a runtime stage without it', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.find((s) => s.body.some((i) => i.op === 'RUN' && /\bg\+\+/.test(i.args) && /\bmake\b/.test(i.args) && /python3/.test(i.args)));
    expect(build, 'a stage installs python3, make and g++').toBeDefined();
    expect(build).not.toBe(runtime);
    expect(final('RUN').some((i) => /g\+\+|build-essential/.test(i.args))).toBe(false);
    // Installs from the lockfile, with no recommended extras and no apt lists left behind.
    const install = build!.body.filter((i) => i.op === 'RUN');
    expect(install.some((i) => /\bnpm ci\b/.test(i.args))).toBe(true);
    for (const i of instructions.filter((x) => x.op === 'RUN' && /apt-get install/.test(x.args))) {
      expect(i.args).toContain('--no-install-recommends');
      expect(i.args).toContain('rm -rf /var/lib/apt/lists/*');
    }
  });

  it('pins base images to a tag, and every COPY --from names an earlier stage', () => {
    for (const s of stages) expect(s.base, s.name).toMatch(/^[^:]+:[^:]+$/);
    for (const s of stages) expect(s.base).not.toMatch(/:latest$/);
    const names = stages.map((s) => s.name);
    for (const [index, s] of stages.entries()) {
      for (const copy of s.body.filter((i) => i.op === 'COPY' && i.args.includes('--from='))) {
        const from = /--from=(\S+)/.exec(copy.args)![1]!;
        expect(names.slice(0, index), `COPY --from=${from}`).toContain(from);
      }
    }
  });

  it('runtime: a non-root user, /data as a volume, both ports, a health check on /healthz, the bundled server as entry', () => {
    const user = final('USER').at(-1)?.args ?? 'root';
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(
      final('VOLUME')
        .map((i) => i.args)
        .join(' '),
    ).toContain('/data');
    expect(final('EXPOSE').flatMap((i) => i.args.split(' '))).toEqual(expect.arrayContaining(['4000', '4001']));
    const health = final('HEALTHCHECK')[0]!.args;
    expect(health).toMatch(/CMD \["node", "\/app\/healthcheck\.mjs"\]/);
    expect(read('server/deploy/healthcheck.mjs')).toContain('/healthz');
    expect(final('ENTRYPOINT')[0]!.args).toBe('["node", "/app/dist/server/cli.cjs"]');
    expect(
      final('ENV')
        .map((i) => i.args)
        .join(' '),
    ).toContain('CHAT_DATA_DIR=/data');
    // The data directory is private to that user.
    expect(final('RUN').some((i) => /chmod 0700 \/data/.test(i.args) && /chown chat:chat \/data/.test(i.args))).toBe(true);
  });

  it('the build runs scripts that exist, and .dockerignore keeps secrets, data and local builds out', () => {
    for (const i of instructions.filter((x) => x.op === 'RUN')) {
      for (const [, script] of i.args.matchAll(/node (scripts\/\S+\.mjs)/g)) expect(existsSync(path.join(REPO_ROOT, script!)), script).toBe(true);
      for (const [, name] of i.args.matchAll(/npm run (\S+)/g))
        expect((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts[name!], `npm run ${name}`).toBeDefined();
    }
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git', 'clients.txt', '.env', 'data']));
    // Nothing the build needs is ignored.
    for (const needed of ['package.json', 'package-lock.json', 'scripts', 'server', 'renderer']) expect(ignored, needed).not.toContain(needed);
  });
});

describe('compose.yaml', () => {
  const compose = loadCompose();
  const s = compose.services;
  const envOf = (name: string): Record<string, string> => {
    const env = s[name]!.environment ?? {};
    return Array.isArray(env) ? Object.fromEntries(env.map((e) => e.split('=', 2) as [string, string])) : env;
  };

  it('has PostgreSQL, Redis, two chat nodes built from this repository and a proxy', () => {
    expect(Object.keys(s)).toEqual(expect.arrayContaining(['postgres', 'redis', 'chat1', 'chat2', 'proxy']));
    expect(s.postgres!.image).toMatch(/^postgres:\d+/);
    expect(s.redis!.image).toMatch(/^redis:\d+/);
    expect(s.proxy!.image).toMatch(/^nginx:\d/);
    for (const node of ['chat1', 'chat2']) expect(s[node]!.build, node).toBe('.');
  });

  it('the nodes point at the postgres and redis services and wait for them to be healthy', () => {
    for (const node of ['chat1', 'chat2']) {
      const env = envOf(node);
      expect(env.CHAT_POSTGRES_URL).toMatch(/^postgres:\/\/chat:\$\{CHAT_DB_PASSWORD[^}]*\}@postgres:5432\/chat$/);
      expect(env.CHAT_REDIS_URL).toBe('redis://redis:6379');
      expect(s[node]!.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
      // Each node keeps its own /data volume.
      expect(s[node]!.volumes).toEqual([`${node}-data:/data`]);
    }
    expect(s.postgres!.healthcheck).toBeDefined();
    expect(s.redis!.healthcheck).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toEqual(expect.arrayContaining(['postgres-data', 'chat1-data', 'chat2-data']));
  });

  it('only the proxy publishes ports: HTTP (WebSocket, web client) and the TCP line protocol', () => {
    for (const [name, service] of Object.entries(s)) if (name !== 'proxy') expect(service.ports, name).toBeUndefined();
    expect(s.proxy!.ports!.map((p) => p.split(':').at(-1))).toEqual(['80', '4000']);
    expect(s.proxy!.depends_on).toMatchObject({ chat1: { condition: 'service_healthy' }, chat2: { condition: 'service_healthy' } });
  });

  it('the proxy configuration it mounts names the compose services and the ports the image exposes', () => {
    const config = readFileSync(composeNginxConfigPath(compose), 'utf8');
    const upstreams = [...config.matchAll(/server (chat\d+):(\d+)/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(new Set(upstreams)).toEqual(new Set(['chat1:4000', 'chat1:4001', 'chat2:4000', 'chat2:4001']));
    expect(config).toMatch(/location = \/ws \{[^}]*proxy_set_header Upgrade \$http_upgrade;[^}]*proxy_set_header Connection \$connection_upgrade;/);
    expect(config).toMatch(/stream \{/);
    // The test rendering touches only addresses and listeners.
    const rendered = renderNginxConfig(config, {
      httpPort: 1,
      tcpPort: 2,
      nodes: [
        { tcpPort: 3, wsPort: 4 },
        { tcpPort: 5, wsPort: 6 },
      ],
    });
    expect(rendered).toContain('server 127.0.0.1:4 ');
    expect(rendered).toContain('listen 127.0.0.1:1;');
    expect(rendered).not.toMatch(/chat\d:/);
  });
});

describe('chat-server.service', () => {
  const unitPath = path.join(REPO_ROOT, 'server/deploy/chat-server.service');
  const text = read('server/deploy/chat-server.service');
  const sections = parseSystemdUnit(text);
  const service = sections.get('Service')!;
  const value = (key: string) => service.get(key)?.at(-1);

  // .ci/run installs systemd; elsewhere the key checks below still run without it.
  const analyzer = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).status === 0 || servicesRequired();
  it.skipIf(!analyzer)(`systemd-analyze verify accepts it without a warning${analyzer ? '' : ' (skipped: systemd-analyze is not installed)'}`, () => {
    const run = spawnSync('systemd-analyze', ['verify', unitPath], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr.split('\n').filter((l) => l.includes('chat-server.service'))).toEqual([]);
  });

  it('runs the bundled server from the assembled runtime, private state in StateDirectory', () => {
    // node itself, no shell or npm in between: $MAINPID is the server (tests/integration/deploy/systemd-unit.test.ts runs it).
    expect(value('Type')).toBe('exec');
    expect(value('ExecStart')).toBe('/usr/bin/node /opt/chat-server/dist/server/cli.cjs');
    expect(value('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(value('StateDirectory')).toBe('chat-server');
    expect(value('StateDirectoryMode')).toBe('0700');
    expect(value('Environment')).toContain('CHAT_DATA_DIR=/var/lib/chat-server');
    expect(value('UMask')).toBe('0077');
    expect(sections.get('Install')!.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('carries the usual hardening', () => {
    expect(value('DynamicUser') === 'yes' || (value('User') ?? 'root') !== 'root').toBe(true);
    expect(service.get('CapabilityBoundingSet')).toEqual(['']);
    for (const [key, expected] of Object.entries({
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateDevices: 'yes',
      ProtectKernelTunables: 'yes',
      ProtectKernelModules: 'yes',
      ProtectControlGroups: 'yes',
      RestrictNamespaces: 'yes',
      RestrictSUIDSGID: 'yes',
      LockPersonality: 'yes',
      RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX',
      SystemCallFilter: '@system-service',
    })) {
      expect(value(key), key).toBe(expected);
    }
  });

  it('leaves MemoryDenyWriteExecute off and says why (V8 needs writable-then-executable memory)', () => {
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
    expect(text).toMatch(/# MemoryDenyWriteExecute= is left off on purpose: V8/);
  });
});

describe('the nginx gate of the deployment suites (readme-nginx, topology)', () => {
  it('runs with nginx; without it fails where services are required (CI) and skips, saying why, elsewhere', () => {
    expect(nginxGate('/usr/sbin/nginx', true)).toEqual({ run: '/usr/sbin/nginx' });
    expect(nginxGate('/usr/sbin/nginx', false)).toEqual({ run: '/usr/sbin/nginx' });
    expect(nginxGate(null, servicesRequired({ CI: 'true' }))).toEqual({ fail: 'nginx is not installed' });
    expect(nginxGate(null, servicesRequired({}))).toEqual({ skip: 'skipped: nginx is not installed' });
  });
});
