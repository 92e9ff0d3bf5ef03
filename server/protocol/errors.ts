// The one catalogue of error codes on the wire. Codes are stable identifiers
// (clients switch on them); messages are for people and may change.

export const ErrorCode = {
  /** The frame is not valid JSON. */
  INVALID_JSON: 'INVALID_JSON',
  /** The bytes are not valid UTF-8. */
  INVALID_UTF8: 'INVALID_UTF8',
  /** The line or frame is longer than MAX_FRAME_BYTES. */
  FRAME_TOO_LARGE: 'FRAME_TOO_LARGE',
  /** The request names no known command. */
  UNKNOWN_COMMAND: 'UNKNOWN_COMMAND',
  /** The command is known but its arguments are missing or malformed. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The command needs a signed-in session. */
  NOT_SIGNED_IN: 'NOT_SIGNED_IN',
  /** This connection is already signed in. */
  ALREADY_AUTHENTICATED: 'ALREADY_AUTHENTICATED',
  /** The user already has a session on another connection; it is not replaced. */
  ALREADY_SIGNED_IN: 'ALREADY_SIGNED_IN',
  /** Wrong username or password. */
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  /** Too many failed attempts; `retryAfter` says how many seconds remain. */
  ACCOUNT_LOCKED: 'ACCOUNT_LOCKED',
  /** The sign-in token is unknown, expired or revoked. */
  INVALID_TOKEN: 'INVALID_TOKEN',
  /** Registration from clients is switched off on this server. */
  REGISTRATION_DISABLED: 'REGISTRATION_DISABLED',
  /** The username is taken (or reserved). */
  USERNAME_TAKEN: 'USERNAME_TAKEN',
  /** A new password is shorter than the server's minimum (`--min-password-length`, default 8 characters). */
  PASSWORD_TOO_SHORT: 'PASSWORD_TOO_SHORT',
  /** A new password is on the list of common passwords the server ships. */
  PASSWORD_TOO_COMMON: 'PASSWORD_TOO_COMMON',
  /** No such user. */
  UNKNOWN_USER: 'UNKNOWN_USER',
  /** The command cannot target yourself. */
  SELF_TARGET: 'SELF_TARGET',
  /** The recipient has blocked you; nothing was delivered. */
  BLOCKED: 'BLOCKED',
  /** No such group, or you are not allowed to see it. */
  UNKNOWN_GROUP: 'UNKNOWN_GROUP',
  /** A group with this name exists already. */
  GROUP_EXISTS: 'GROUP_EXISTS',
  /** Only members may do this. */
  NOT_GROUP_MEMBER: 'NOT_GROUP_MEMBER',
  /** Only the group's owner may do this. */
  NOT_GROUP_OWNER: 'NOT_GROUP_OWNER',
  /** No such message, or not one you can see (or not of this conversation, for a reply). */
  UNKNOWN_MESSAGE: 'UNKNOWN_MESSAGE',
  /** Only the message's author may do this (or, to delete a group message, the group's owner). */
  NOT_MESSAGE_AUTHOR: 'NOT_MESSAGE_AUTHOR',
  /** The message was deleted: it cannot be edited, reacted to or deleted again. */
  MESSAGE_DELETED: 'MESSAGE_DELETED',
  /** The edit window (`--edit-minutes`) of the message has passed. */
  EDIT_WINDOW_PASSED: 'EDIT_WINDOW_PASSED',
  /** No such file, or you may not send it (upload it first, or attach only files you can see). */
  UNKNOWN_FILE: 'UNKNOWN_FILE',
  /** The upload is larger than the server's limit (HTTP 413). */
  FILE_TOO_LARGE: 'FILE_TOO_LARGE',
  /** The upload would take the user past their storage quota (HTTP 413). */
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  /** A profile picture must be an image (sniffed type image/*) that you uploaded. */
  NOT_AN_IMAGE: 'NOT_AN_IMAGE',
  /** Too many requests; `retryAfter` says when to try again (seconds). */
  RATE_LIMITED: 'RATE_LIMITED',
  /**
   * The server is too busy to take this now (the sign-in hash queue is full,
   * too many sign-ins are failing server-wide, or a cluster node cannot reach
   * Redis); `retryAfter` says when to retry (seconds).
   */
  SERVER_BUSY: 'SERVER_BUSY',
  /** The connection was refused: too many connections (or not yet signed-in ones) from this address or in total. */
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  /** The connection's command queue (--command-queue) is full: wait for replies before sending more. */
  COMMAND_QUEUE_FULL: 'COMMAND_QUEUE_FULL',
  /** The server is shutting down and takes no new work. */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /** Something failed inside the server; nothing was acknowledged. */
  INTERNAL: 'INTERNAL',
  // Client-side codes: raised by clients, never sent by the server.
  /** The server could not be reached (refused, DNS, network down). */
  UNREACHABLE: 'UNREACHABLE',
  /** No reply arrived in time. */
  TIMEOUT: 'TIMEOUT',
  /** The request needs a live connection and there is none right now. */
  NOT_CONNECTED: 'NOT_CONNECTED',
  /**
   * The server's TLS certificate is not the one pinned for its address (a new certificate,
   * or someone in between): nothing was sent. The message names both fingerprints.
   */
  CERTIFICATE_CHANGED: 'CERTIFICATE_CHANGED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ERROR_CODES: readonly ErrorCode[] = Object.values(ErrorCode);

/** Error shape on the wire. `retryAfter` is in whole seconds when present. */
export interface WireError {
  code: ErrorCode;
  message: string;
  retryAfter?: number;
}

/**
 * An expected failure: decoding, validation or a refused command. Thrown by the
 * codecs and services, turned into an error reply at the connection boundary.
 */
export class ProtocolError extends Error {
  readonly code: ErrorCode;
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message: string, retryAfter?: number) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.retryAfter = retryAfter;
  }

  toWire(): WireError {
    return this.retryAfter === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, retryAfter: this.retryAfter };
  }
}

export function isProtocolError(err: unknown): err is ProtocolError {
  return err instanceof ProtocolError;
}
