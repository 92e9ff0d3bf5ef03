// Mentions and mute: which messages alert whom (the rule the web client and
// the desktop app's main process share).
import { describe, expect, it } from 'vitest';
import { alertReason, conversationKeyOf, CONVERSATION_KEY_PATTERN, mentionedNames, mentions, type ChatMessage } from '../../../server/protocol';

const msg = (m: Partial<ChatMessage>): ChatMessage => ({ id: 1, kind: 'private', from: 'bob', to: 'alice', text: 'hi', ts: 0, ...m });

describe('mentions', () => {
  it('finds @names outside code, once each, without e-mail addresses or sentence ends', () => {
    expect(mentionedNames('@alice and @carol.smith, see @alice. `@dave` ```\n@erin\n``` x@y.z (@fred)')).toEqual(['alice', 'carol.smith', 'fred']);
    expect(mentions('hey @alice!', 'alice')).toBe(true);
    expect(mentions('hey @alicea', 'alice')).toBe(false);
    expect(mentions('hey @Alice', 'alice')).toBe(false);
  });
});

describe('conversationKeyOf', () => {
  it('names the conversation as mute lists do', () => {
    expect(conversationKeyOf(msg({}), 'alice')).toBe('u:bob');
    expect(conversationKeyOf(msg({ from: 'alice', to: 'bob' }), 'alice')).toBe('u:bob');
    expect(conversationKeyOf(msg({ kind: 'group', to: undefined, group: 'team' }), 'alice')).toBe('g:team');
    expect(conversationKeyOf(msg({ kind: 'broadcast', to: undefined }), 'alice')).toBe('everyone');
    for (const k of ['u:bob', 'g:team', 'everyone']) expect(CONVERSATION_KEY_PATTERN.test(k)).toBe(true);
    for (const k of ['u:', 'x:bob', 'g:a b', 'Everyone']) expect(CONVERSATION_KEY_PATTERN.test(k)).toBe(false);
  });
});

describe('alertReason', () => {
  const group = msg({ kind: 'group', to: undefined, group: 'team' });
  it('alerts for messages of others, never my own', () => {
    expect(alertReason(msg({}), 'alice', [])).toBe('message');
    expect(alertReason(msg({ from: 'alice', to: 'bob' }), 'alice', [])).toBeNull();
  });

  it('a muted conversation is quiet, except a group message or broadcast that mentions me', () => {
    expect(alertReason(group, 'alice', ['g:team'])).toBeNull();
    expect(alertReason({ ...group, text: 'ping @alice' }, 'alice', ['g:team'])).toBe('mention');
    expect(alertReason(msg({ kind: 'broadcast', to: undefined, text: '@alice hi' }), 'alice', ['everyone'])).toBe('mention');
    // A private message is already addressed to me: a mention in it changes nothing.
    expect(alertReason(msg({ text: '@alice' }), 'alice', ['u:bob'])).toBeNull();
    expect(alertReason(msg({ text: '@alice' }), 'alice', [])).toBe('message');
    // A mention of someone else does not break my mute.
    expect(alertReason({ ...group, text: '@carol' }, 'alice', ['g:team'])).toBeNull();
  });
});
