// Message search: reads the query into words, applies the filters and asks the
// store for one page of what the caller may read; each hit gets its
// conversation (as the caller sees it) and a highlighted snippet.
import {
  buildSnippet,
  DEFAULT_SEARCH_LIMIT,
  ErrorCode,
  MAX_SEARCH_TERMS,
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
   * One page of `viewer`'s search, newest first. BAD_REQUEST for a query with
   * no letter or digit, more than MAX_SEARCH_TERMS words, both `with` and
   * `group`, or `after` >= `before`; UNKNOWN_USER for `with` naming no user.
   */
  async search(viewer: string, request: Omit<CommandOf<'search'>, 'type'>): Promise<ResultOf<'search'>> {
    const terms = searchTerms(request.query);
    if (terms.length === 0) throw new ProtocolError(ErrorCode.BAD_REQUEST, 'search: the query needs at least one word (letters or digits)');
    if (terms.length > MAX_SEARCH_TERMS) throw new ProtocolError(ErrorCode.BAD_REQUEST, `search: at most ${MAX_SEARCH_TERMS} words`);
    if (request.with !== undefined && request.group !== undefined) {
      throw new ProtocolError(ErrorCode.BAD_REQUEST, 'search: give either "with" or "group", not both');
    }
    if (request.before !== undefined && request.after !== undefined && request.after >= request.before) {
      throw new ProtocolError(ErrorCode.BAD_REQUEST, 'search: "after" must be earlier than "before"');
    }
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
