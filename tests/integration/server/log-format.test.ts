// The CLI's log lines as an operator sees them: readable on a terminal (a real
// pseudo-terminal through util-linux `script`), JSON when stderr is a pipe or
// file (systemd, Docker), and --log-format / CHAT_LOG_FORMAT to force either.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, SOURCE_CLI, spawnCliServer } from '../../helpers/cli';

const ARGS = ['--host', '127.0.0.1', '--port', '0', '--no-ws-port', '--store', 'memory', '--allow-register'];

/** Runs the server on a pseudo-terminal, presses Ctrl+C once it is up, returns what the terminal showed. */
function onTerminal(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const command = [process.execPath, ...SOURCE_CLI, ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let pressed = false;
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    out += text;
    if (!pressed && out.includes('Press Ctrl+C to stop.')) {
      pressed = true;
      child.stdin.write('\x03');
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server on a terminal did not stop: ${out}`));
    }, 25_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

describe('log format of the CLI', () => {
  it('on a terminal: readable lines', async () => {
    const out = await onTerminal(ARGS);
    expect(out).toMatch(/\[\d\d:\d\d:\d\d\.\d{3}\] \S*INFO\S*: \S*server started/);
    expect(out).not.toContain('"msg":"server started"');
  });

  it('--log-format json on a terminal: JSON', async () => {
    const out = await onTerminal([...ARGS, '--log-format', 'json']);
    expect(out).toContain('"msg":"server started"');
  });

  it('on a pipe: JSON; CHAT_LOG_FORMAT=pretty makes it readable', async () => {
    const piped = await spawnCliServer(ARGS);
    await piped.stop();
    const started = piped.stderr.split('\n').find((l) => l.includes('server started'));
    expect(JSON.parse(started!)).toMatchObject({ level: 30, msg: 'server started' });

    const forced = await spawnCliServer(ARGS, { env: { ...process.env, CHAT_LOG_FORMAT: 'pretty' } });
    await forced.stop();
    expect(forced.stderr).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: server started/m);
  });
});
