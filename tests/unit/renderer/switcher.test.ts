// Quick switcher matching: contains, any case; prefix matches and open
// conversations first; duplicates (an open chat that is also a person) once.
import { describe, expect, it } from 'vitest';
import { matchTargets, type SwitchTarget } from '../../../renderer/lib/switcher';

const t = (key: string, open: boolean): SwitchTarget => {
  const kind = key === 'everyone' ? 'everyone' : key.startsWith('g:') ? 'group' : 'direct';
  return { key, label: key === 'everyone' ? 'Everyone' : key.slice(2), kind, open };
};

const TARGETS = [
  t('everyone', true),
  t('u:carol', true),
  t('g:backend', true),
  t('g:ops', false),
  t('u:bob', false),
  t('u:carol', false),
  t('u:robert', false),
];

describe('matchTargets', () => {
  it('an empty query lists open conversations first, in their order, each key once', () => {
    expect(matchTargets(TARGETS, '  ').map((x) => x.key)).toEqual(['everyone', 'u:carol', 'g:backend', 'g:ops', 'u:bob', 'u:robert']);
  });

  it('matches anywhere in the name, any case; prefixes and open conversations rank first', () => {
    expect(matchTargets(TARGETS, 'RO').map((x) => x.key)).toEqual(['u:robert', 'u:carol']);
    expect(matchTargets(TARGETS, 'b').map((x) => x.key)).toEqual(['g:backend', 'u:bob', 'u:robert']);
    expect(matchTargets(TARGETS, 'every').map((x) => x.key)).toEqual(['everyone']);
    expect(matchTargets(TARGETS, 'zzz')).toEqual([]);
  });

  it('matches display names too (any word start ranks first), and still usernames', () => {
    const people: SwitchTarget[] = [
      { key: 'u:carol', label: 'carol', kind: 'direct', open: false, displayName: 'Caroline Herschel' },
      { key: 'u:dave', label: 'dave', kind: 'direct', open: false, displayName: 'Dave Schell' },
      { key: 'u:bob', label: 'bob', kind: 'direct', open: false },
    ];
    expect(matchTargets(people, 'HERSCH').map((x) => x.key)).toEqual(['u:carol']);
    expect(matchTargets(people, 'sch').map((x) => x.key)).toEqual(['u:dave', 'u:carol']);
    expect(matchTargets(people, 'carol').map((x) => x.key)).toEqual(['u:carol']);
    expect(matchTargets(people, 'bo').map((x) => x.key)).toEqual(['u:bob']);
  });

  it('lists at most `max`', () => {
    expect(matchTargets(TARGETS, '', 2)).toHaveLength(2);
  });
});
