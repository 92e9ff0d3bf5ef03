// The names the terminal client learns for completion, from replies and events.
import { describe, expect, it } from 'vitest';
import { KnownNames } from '../../../server/terminal/names';

describe('known names', () => {
  it('learns users and groups from replies, never offering myself or malformed names', () => {
    const names = new KnownNames();
    names.setSelf('alice');
    names.learnResult('whoelse', { users: ['bob', 'alice', 'not a name!'] });
    names.learnResult('wholasthr', { users: [{ username: 'carol', online: false, lastLoginAt: null }] });
    names.learnResult('ping', { user: 'dave', online: true, lastLoginAt: 1, blockedByMe: false, blockedMe: false });
    names.learnResult('create-group', { group: { name: 'team', owner: 'alice', members: ['alice', 'erin'], createdAt: 0 } });
    names.learnResult('message-group', { message: { id: 1, kind: 'group', from: 'alice', group: 'ops', text: 'x', ts: 0 }, queued: [], blockedBy: 0 });
    expect(names.users).toEqual(['bob', 'carol', 'dave', 'erin']);
    expect(names.groups).toEqual(['ops', 'team']);
    names.learnResult('group-leave', { group: 'ops' });
    expect(names.groups).toEqual(['team']);
  });

  it('learns from messages, presence and group events; a group that no longer includes me is dropped', () => {
    const names = new KnownNames('alice');
    names.learnEvent({
      type: 'event',
      event: 'message',
      seq: 1,
      offline: false,
      message: { id: 1, kind: 'group', from: 'frank', group: 'band', text: 'hi', ts: 0 },
    });
    names.learnEvent({ type: 'event', event: 'presence', user: 'gina', online: true, at: 0 });
    names.learnEvent({
      type: 'event',
      event: 'group',
      name: 'crew',
      change: 'added',
      actor: 'hal',
      members: ['alice'],
      group: { name: 'crew', owner: 'hal', members: ['hal', 'alice', 'ivy'], createdAt: 0 },
    });
    expect(names.users).toEqual(['frank', 'gina', 'hal', 'ivy']);
    expect(names.groups).toEqual(['band', 'crew']);
    names.learnEvent({ type: 'event', event: 'group', name: 'crew', change: 'removed', actor: 'hal', members: ['alice'], group: null });
    expect(names.groups).toEqual(['band']);
  });
});
