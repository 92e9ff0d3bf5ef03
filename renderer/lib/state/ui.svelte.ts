// Screen state that is not chat data: which pane a narrow window shows, and
// one-shot focus requests that a component fulfils once it is on screen.
import { MediaQuery } from 'svelte/reactivity';
import { conversations } from './conversations.svelte';
import { session } from './session.svelte';

/** Windows this narrow show one pane at a time (App.svelte's CSS uses the same width). */
export const NARROW_QUERY = '(max-width: 700px)';

export type Pane = 'list' | 'content';

class UiState {
  /** On a narrow window: the sidebar (conversation list) or the open view. Wide windows show both. */
  pane = $state<Pane>('list');
  /** The composer takes focus as soon as it is on screen, then clears this. */
  focusComposer = $state(false);
  /** People's "Find someone" box takes focus as soon as it is on screen ("New chat"), then clears this. */
  focusFindSomeone = $state(false);
  /**
   * The sidebar control to focus once the list is on screen, by its
   * `data-focus-id` (`conv:<key>` or `view:<name>`); cleared when done.
   */
  focusSidebar = $state<string | null>(null);
  /** The message search panel is open (Ctrl+Shift+F, "/", or the sidebar's search button). */
  searchOpen = $state(false);
  /**
   * A message id the open conversation scrolls to and highlights (a search
   * result); cleared once shown, or when it can't be reached. While set, the
   * message list marks nothing read (its first scroll to the bottom is not reading).
   */
  revealMessage = $state<number | null>(null);

  reset(): void {
    this.pane = 'list';
    this.focusComposer = false;
    this.focusFindSomeone = false;
    this.focusSidebar = null;
    this.searchOpen = false;
    this.revealMessage = null;
  }
}

export const ui = new UiState();

/** Whether the window is narrow enough for the one-pane layout; `.current` is reactive. */
export const narrow = new MediaQuery(NARROW_QUERY);

/** True when the window is narrow enough for the one-pane layout. */
export function isNarrow(): boolean {
  return narrow.current;
}

/** True when the chat view is on screen (on a narrow window: its pane is the one showing). */
export function activeOnScreen(): boolean {
  return session.view === 'chat' && (ui.pane === 'content' || !isNarrow());
}

/** True when the user can see conversation `key` right now: open, its pane showing, the tab visible. */
export function conversationInView(key: string): boolean {
  return activeOnScreen() && conversations.activeKey === key && document.visibilityState === 'visible';
}
