// Where the page finds /api/files: the HTTP origin of the server's WebSocket URL.
import { describe, expect, it } from 'vitest';
import { httpOrigin } from '../../../server/client';

describe('httpOrigin', () => {
  it('maps ws to http and wss to https, keeping host and port', () => {
    expect(httpOrigin('ws://127.0.0.1:4001/ws')).toBe('http://127.0.0.1:4001');
    expect(httpOrigin('wss://chat.example.com/ws')).toBe('https://chat.example.com');
    expect(httpOrigin('ws://[::1]:4001/ws')).toBe('http://[::1]:4001');
  });

  it('answers null for anything else', () => {
    expect(httpOrigin('http://example.com')).toBeNull();
    expect(httpOrigin('not a url')).toBeNull();
  });
});
