// How a message is spoken of in one line, wherever a client shows or says it
// briefly: the sidebar's preview, a reply's quote, a notification, a screen
// reader's announcement.

/**
 * A message's text on one line or, for one with only files, what it carries
 * ("A file", "3 files"); empty for neither.
 */
export function gistOf(text: string, files: number): string {
  return text.replace(/\s+/g, ' ').trim() || (files === 1 ? 'A file' : files > 1 ? `${files} files` : '');
}
