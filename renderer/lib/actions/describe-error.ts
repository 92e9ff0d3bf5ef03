// Human sentences for the error codes a person can meet in the UI.
import { ErrorCode, type WireError } from '../../../server/protocol';

export function describeError(error: WireError): string {
  switch (error.code) {
    case ErrorCode.INVALID_CREDENTIALS:
      return error.message || 'Wrong username or password.';
    case ErrorCode.ACCOUNT_LOCKED:
      return 'Too many failed attempts: this account is locked for now.';
    case ErrorCode.ALREADY_SIGNED_IN:
      return 'This account is already signed in elsewhere. Sign out there first.';
    case ErrorCode.UNREACHABLE:
      return 'The server is unreachable. Check the address and that the server is running.';
    case ErrorCode.TIMEOUT:
      return 'The server did not answer in time.';
    case ErrorCode.NOT_CONNECTED:
      return 'Not connected right now. Try again once the connection is back.';
    case ErrorCode.INVALID_TOKEN:
      return 'Your saved sign-in has expired. Please sign in again.';
    case ErrorCode.BLOCKED:
      return 'Not delivered: this person has blocked you.';
    case ErrorCode.UNKNOWN_USER:
      return 'There is no user with that name.';
    case ErrorCode.RATE_LIMITED:
      return `Slow down: too many requests${error.retryAfter ? ` (try again in ${error.retryAfter}s)` : ''}.`;
    case ErrorCode.REGISTRATION_DISABLED:
      return 'This server does not allow creating accounts.';
    case ErrorCode.USERNAME_TAKEN:
      return 'That username is taken.';
    default:
      return error.message;
  }
}
