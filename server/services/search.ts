// Message search: reads the query into words, applies the filters and asks the
// store for one page of what the caller may read; each hit gets its
// conversation (as the caller sees it) and a highlighted snippet.
import {
  buildSnippet,
  DEFAULT_SEARCH_LIMIT,
  ErrorCode,
  ProtocolError,
  searchTerms,
  type ChatMessage,
  type CommandOf,
  type ResultOf,
  type SearchConversation,
} from '../protocol';
import type { AccountStore, MessageStore } from '../store/store';

/** The conversation `message` belongs to, seen by `viewer`. */
function conversationOf(message: ChatMessage, viewer: string): SearchConversation {
  if (message.kind === 'group' && message.group !== undefined) return { kind: 'group', group: message.group };
  if (message.kind === 'private') return { kind: 'private', with: message.from === viewer ? (message.to ?? viewer) : message.from };
  return { kind: 'everyone' };
}

export class SearchService {
  constructor(
    private readonly messages: MessageStore,
    private readonly accounts: AccountStore,
  ) {}

  /**
   * One page of `viewer`'s search, newest first. The request is one the
   * protocol's schema accepted (a word to search for, one filter, a time range
   * that is not empty); UNKNOWN_USER for `with` naming no user.
   */
  async search(viewer: string, request: Omit<CommandOf<'search'>, 'type'>): Promise<ResultOf<'search'>> {
    const terms = searchTerms(request.query);
    let peer: string | undefined;
    if (request.with !== undefined) {
      // Named in any case; the store keys messages by the registered spelling.
      const user = await this.accounts.getUser(request.with);
      if (!user) throw new ProtocolError(ErrorCode.UNKNOWN_USER, `No user "${request.with}"`);
      peer = user.username;
    }
    const limit = request.limit ?? DEFAULT_SEARCH_LIMIT;
    // One more than asked tells whether another page exists.
    const found = await this.messages.search({
      viewer,
      terms,
      limit: limit + 1,
      ...(peer !== undefined ? { peer } : {}),
      ...(request.group !== undefined ? { group: request.group } : {}),
      ...(request.cursor !== undefined ? { beforeId: request.cursor } : {}),
      ...(request.before !== undefined ? { beforeTs: request.before } : {}),
      ...(request.after !== undefined ? { afterTs: request.after } : {}),
    });
    const page = found.slice(0, limit);
    return {
      terms,
      results: page.map((message) => ({ message, conversation: conversationOf(message, viewer), snippet: buildSnippet(message.text, terms) })),
      nextCursor: found.length > limit ? (page.at(-1)?.id ?? null) : null,
    };
  }
}
