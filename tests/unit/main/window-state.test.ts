// Window size and position: restored only where the title bar lands on a connected display,
// otherwise the saved size placed by the OS; saved after moves (debounced) and on close.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Rect } from '../../../main/platform/seams';
import { DEFAULT_SIZE, MIN_SIZE } from '../../../main/window';
import { isTitleBarVisible, restorePlacement, trackWindowState } from '../../../main/window-state';
import type { SavedWindowState } from '../../../main/settings';
import { fakeWindow } from './fakes';

const LIMITS = { defaultSize: DEFAULT_SIZE, minSize: MIN_SIZE };
const LAPTOP: Rect = { x: 0, y: 0, width: 1440, height: 875 };
/** A second monitor to the left of the laptop. */
const LEFT: Rect = { x: -1920, y: 0, width: 1920, height: 1040 };

const saved = (bounds: Rect, maximized = false): SavedWindowState => ({ bounds, maximized });

describe('restorePlacement', () => {
  it('first start: the default size, placed by the OS', () => {
    expect(restorePlacement(null, [LAPTOP], LIMITS)).toEqual({ width: 1100, height: 720, maximized: false });
  });

  it('a position on a connected display is restored exactly, maximized included', () => {
    expect(restorePlacement(saved({ x: -1800, y: 100, width: 1200, height: 800 }, true), [LAPTOP, LEFT], LIMITS)).toEqual({
      x: -1800,
      y: 100,
      width: 1200,
      height: 800,
      maximized: true,
    });
  });

  it('a position on a display that is gone is dropped; the size shrinks to fit', () => {
    expect(restorePlacement(saved({ x: -1800, y: 100, width: 1800, height: 1000 }), [LAPTOP], LIMITS)).toEqual({
      width: 1440,
      height: 875,
      maximized: false,
    });
  });

  it('a title bar above the top or hanging off an edge does not count as visible', () => {
    expect(isTitleBarVisible({ x: 100, y: -20, width: 800, height: 600 }, [LAPTOP])).toBe(false);
    expect(isTitleBarVisible({ x: 1400, y: 100, width: 800, height: 600 }, [LAPTOP])).toBe(false);
    expect(isTitleBarVisible({ x: 1300, y: 100, width: 800, height: 600 }, [LAPTOP])).toBe(true);
    expect(isTitleBarVisible({ x: 100, y: 860, width: 800, height: 600 }, [LAPTOP])).toBe(false);
    expect(isTitleBarVisible({ x: 100, y: 100, width: 800, height: 600 }, [])).toBe(false);
  });

  it('never below the minimum size', () => {
    expect(restorePlacement(saved({ x: 10, y: 10, width: 100, height: 50 }), [LAPTOP], LIMITS)).toMatchObject({ width: 480, height: 360 });
  });
});

describe('trackWindowState', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const window = () => fakeWindow({ width: 1100, height: 720 });

  it('saves once after a burst of moves, and on close', () => {
    vi.useFakeTimers();
    const w = window();
    const saves: SavedWindowState[] = [];
    trackWindowState({ window: w, save: (s) => saves.push(s), debounceMs: 30 });
    w.moveTo({ x: 10 });
    w.moveTo({ x: 20 });
    w.moveTo({ x: 30, width: 1000 });
    vi.advanceTimersByTime(29);
    expect(saves).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(saves).toHaveLength(1);
    expect(saves[0]).toEqual({ bounds: { x: 30, y: 100, width: 1000, height: 720 }, maximized: false });
    w.maximized = true;
    w.close();
    expect(saves).toHaveLength(2);
    expect(saves[1]).toEqual({ bounds: { x: 30, y: 100, width: 1000, height: 720 }, maximized: true });
  });

  it('a move right before close is saved by the close, not again after the window is gone', () => {
    vi.useFakeTimers();
    const w = window();
    const saves: SavedWindowState[] = [];
    trackWindowState({ window: w, save: (s) => saves.push(s), debounceMs: 20 });
    w.moveTo({ y: 300 });
    w.close();
    expect(saves.map((s) => s.bounds.y)).toEqual([300]);
    vi.advanceTimersByTime(1000);
    expect(saves).toHaveLength(1);
  });
});
