// Where the keyboard focus goes when asked for the page's main content: the skip
// link, and a control that goes away while it holds the focus (a dismissed notice),
// which would otherwise leave the focus on <body>.

/**
 * Focuses the main content: the open chat's message input when it takes text, else the
 * main region (`#main`); on a narrow window showing only the conversation list, its
 * current row. Does nothing where there is no main region (the sign-in screen).
 */
export function focusMainContent(): void {
  const main = document.getElementById('main');
  if (main === null) return;
  const target =
    main.offsetParent === null
      ? document.querySelector<HTMLElement>('[data-testid="conversation"][tabindex="0"]')
      : (main.querySelector<HTMLElement>('textarea:not(:disabled)') ?? main);
  target?.focus();
}
