// The IRC lines the load generator writes to and reads from ngIRCd and InspIRCd.
import { describe, expect, it } from 'vitest';
import { ircPrivmsg, ircRegister, isIrcError, parseIrcLine, privmsgText } from '../../../tests/bench/irc-lines';

describe('IRC lines', () => {
  it('registers with NICK and USER and sends PRIVMSG with a trailing parameter', () => {
    expect(ircRegister('u1')).toBe('NICK u1\r\nUSER u1 0 * :u1\r\n');
    expect(ircPrivmsg('#bench', 'b 1 2 xx')).toBe('PRIVMSG #bench :b 1 2 xx\r\n');
  });

  it('reads the text of a PRIVMSG to a channel or a nick, and nothing else', () => {
    expect(privmsgText(':sender!~sender@127.0.0.1 PRIVMSG #bench :b 0 123 x y')).toBe('b 0 123 x y');
    expect(privmsgText(':p0!p0@127.0.0.1 PRIVMSG p1 :hello: there')).toBe('hello: there');
    expect(privmsgText(':u1!~u1@127.0.0.1 JOIN :#bench')).toBeNull();
    expect(privmsgText(':bench.ngircd 001 u1 :Welcome')).toBeNull();
    expect(privmsgText('PING :bench')).toBeNull();
  });

  it('parses numerics, sources and parameters', () => {
    expect(parseIrcLine(':bench.inspircd 366 u1 #bench :End of /NAMES list.')).toEqual({
      source: 'bench.inspircd',
      command: '366',
      params: ['u1', '#bench', 'End of /NAMES list.'],
    });
    expect(parseIrcLine('PING :abc')).toEqual({ source: null, command: 'PING', params: ['abc'] });
    expect(parseIrcLine(':nick!user@host QUIT')).toEqual({ source: 'nick', command: 'QUIT', params: [] });
    expect(parseIrcLine('')).toBeNull();
  });

  it('treats 4xx and 5xx numerics as refusals', () => {
    expect(isIrcError('401')).toBe(true);
    expect(isIrcError('433')).toBe(true);
    expect(isIrcError('366')).toBe(false);
    expect(isIrcError('PRIVMSG')).toBe(false);
  });
});
