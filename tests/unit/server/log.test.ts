// Log lines: readable on a terminal, JSON elsewhere, either one on request;
// secrets redacted in both.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { optionsFromEnv, resolveConfig } from '../../../server/config';
import { createLogger, resolveLogFormat, type LogFormat } from '../../../server/log';
import { waitUntil } from '../../helpers/wait';

async function linesOf(format: LogFormat): Promise<string[]> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const log = createLogger('info', format, sink);
  log.info({ port: 4000, password: 'hunter2' }, 'server started');
  // The readable format goes through a transform stream: its line arrives a turn later.
  await waitUntil(() => lines.length > 0, 'a log line');
  return lines;
}

describe('log format', () => {
  it('auto means pretty on a terminal and JSON otherwise; explicit formats win', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });

  it('json: one JSON object per line, password redacted', async () => {
    const [line] = await linesOf('json');
    expect(JSON.parse(line!)).toMatchObject({ level: 30, msg: 'server started', port: 4000, password: '[redacted]' });
  });

  it('pretty: a readable line with time, level and message, password redacted', async () => {
    const text = (await linesOf('pretty')).join('');
    expect(() => JSON.parse(text) as unknown).toThrow();
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: server started/);
    expect(text).toContain('"port":4000');
    expect(text).not.toContain('hunter2');
  });

  it('CHAT_LOG_FORMAT sets it; the default is auto; anything else is refused', () => {
    expect(resolveConfig({}).logFormat).toBe('auto');
    expect(resolveConfig(optionsFromEnv({ CHAT_LOG_FORMAT: 'json' })).logFormat).toBe('json');
    expect(() => resolveConfig({ logFormat: 'xml' as LogFormat })).toThrow(/logFormat/);
  });
});
