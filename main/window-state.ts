// Remembers the main window's size and position: restores them at start only where the
// window's title bar lands on a display that is connected now (a monitor unplugged since
// would leave it off-screen), and saves them shortly after each move or resize and on close.
import type { AppWindow, Rect, WindowPlacement } from './platform/seams';
import type { SavedWindowState } from './settings';

/** How much of the title bar must be on a display's work area for the position to count as visible. */
const GRAB_WIDTH = 64;
const TITLE_BAR_HEIGHT = 32;

export interface PlacementLimits {
  /** Size on first start. */
  defaultSize: { width: number; height: number };
  minSize: { width: number; height: number };
}

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return { width: Math.max(0, width), height: Math.max(0, height) };
}

/** True when the strip the title bar occupies has a grabbable part fully inside one work area. */
export function isTitleBarVisible(bounds: Rect, workAreas: readonly Rect[]): boolean {
  const titleBar = { x: bounds.x, y: bounds.y, width: bounds.width, height: TITLE_BAR_HEIGHT };
  return workAreas.some((area) => {
    const o = overlap(titleBar, area);
    return o.width >= GRAB_WIDTH && o.height >= TITLE_BAR_HEIGHT;
  });
}

/**
 * Where the window opens. No saved state: the default size, placed by the OS. Saved and
 * visible: exactly as saved. Saved but off every display: the saved size (shrunk to fit the
 * largest work area), placed by the OS. Sizes never go below the window's minimum.
 */
export function restorePlacement(saved: SavedWindowState | null, workAreas: readonly Rect[], limits: PlacementLimits): WindowPlacement {
  const largest = workAreas.reduce<Rect | null>((best, a) => (best === null || a.width * a.height > best.width * best.height ? a : best), null);
  const clampSize = (width: number, height: number) => ({
    width: Math.max(limits.minSize.width, Math.min(width, largest?.width ?? width)),
    height: Math.max(limits.minSize.height, Math.min(height, largest?.height ?? height)),
  });
  if (!saved) return { ...clampSize(limits.defaultSize.width, limits.defaultSize.height), maximized: false };
  const { bounds, maximized } = saved;
  if (isTitleBarVisible(bounds, workAreas)) {
    return {
      x: bounds.x,
      y: bounds.y,
      width: Math.max(limits.minSize.width, bounds.width),
      height: Math.max(limits.minSize.height, bounds.height),
      maximized,
    };
  }
  return { ...clampSize(bounds.width, bounds.height), maximized };
}

export interface TrackOptions {
  window: AppWindow;
  save: (state: SavedWindowState) => void;
  /** Quiet time after the last move/resize before saving, in ms. Default 500. */
  debounceMs?: number;
}

/**
 * Saves the placement `debounceMs` after the last move or resize (dragging fires many
 * events) and once more when the window is asked to close. Returns a flush function.
 */
export function trackWindowState(options: TrackOptions): () => void {
  const { window, save } = options;
  const debounceMs = options.debounceMs ?? 500;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!window.isDestroyed()) save(window.getPlacement());
  };
  window.onBoundsChanged(() => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(flush, debounceMs);
  });
  window.onClose(() => flush());
  window.onClosed(() => {
    if (timer) clearTimeout(timer);
    timer = null;
  });
  return flush;
}
