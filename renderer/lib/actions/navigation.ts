// Moving between views and, on narrow windows, between the conversation list
// and the open view (the two-pane pattern of mobile messengers).
import { conversations } from '../state/conversations.svelte';
import { session, type ViewName } from '../state/session.svelte';
import { ui } from '../state/ui.svelte';

/** Shows a view; on a narrow window this also leaves the list for it. */
export function showView(view: ViewName): void {
  session.view = view;
  ui.pane = 'content';
}

/** "New chat": People, with the cursor in its "Find someone" box. */
export function startNewChat(): void {
  ui.focusFindSomeone = true;
  showView('people');
}

/** Back from the open view to the list (narrow windows), focusing where the reader came from. */
export function backToList(): void {
  ui.focusSidebar = session.view === 'chat' ? `conv:${conversations.activeKey}` : `view:${session.view}`;
  ui.pane = 'list';
}
