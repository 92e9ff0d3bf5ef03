// Reading saved settings back: valid values are kept, anything else (old,
// corrupt or hand-edited) falls back to the default for that field only.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, parseSettings } from '../../../renderer/lib/settings/settings';

describe('parseSettings', () => {
  it('keeps valid values', () => {
    expect(parseSettings({ theme: 'dark', notifications: true, sound: true, muted: ['g:team', 'u:bob', 'everyone'] })).toEqual({
      theme: 'dark',
      notifications: true,
      sound: true,
      muted: ['g:team', 'u:bob', 'everyone'],
    });
  });

  it('uses the defaults for nothing saved or garbage', () => {
    for (const raw of [null, undefined, 'dark', 42, [], {}]) expect(parseSettings(raw)).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS).toEqual({ theme: 'system', notifications: false, sound: false, muted: [] });
  });

  it('replaces only the fields that are wrong and drops unknown ones', () => {
    expect(parseSettings({ theme: 'sepia', notifications: 'yes', sound: true, future: 1 })).toEqual({
      theme: 'system',
      notifications: false,
      sound: true,
      muted: [],
    });
    // Mute lists keep valid conversation keys only, once each.
    expect(parseSettings({ muted: ['g:team', 'g:team', 'x:bad', 42, 'u:', 'u:has space', 'everyone'] }).muted).toEqual(['g:team', 'everyone']);
    expect(parseSettings({ muted: 'g:team' }).muted).toEqual([]);
  });
});
