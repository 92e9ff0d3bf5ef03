// What a new password must be, after NIST SP 800-63B 5.1.1.2: long enough,
// not absurdly long (the wire limit, MAX_PASSWORD_LENGTH), and not one of the
// common passwords the server ships. No composition rules, no expiry.
// Applies wherever a password is set: registration, adduser, the --users import
// and password changes; never at sign-in (an old password keeps working).
import { ErrorCode, MAX_PASSWORD_LENGTH, ProtocolError } from '../protocol';
import { COMMON_PASSWORDS } from './common-passwords';

let common: ReadonlySet<string> | undefined;

/** The form passwords are compared to the list in: NFKC, lower-cased (so "Password1" counts as "password1"). */
function listForm(password: string): string {
  return password.normalize('NFKC').toLowerCase();
}

/** True when `password` (in any case) is on the shipped list of common passwords. */
export function isCommonPassword(password: string): boolean {
  common ??= new Set(COMMON_PASSWORDS.split('\n'));
  return common.has(listForm(password));
}

/**
 * Throws a coded ProtocolError when `password` may not be set:
 * PASSWORD_TOO_SHORT under `minLength` characters (Unicode code points),
 * BAD_REQUEST over MAX_PASSWORD_LENGTH, PASSWORD_TOO_COMMON when on the list.
 */
export function assertAcceptablePassword(password: string, minLength: number): void {
  const length = [...password].length;
  if (length < minLength) {
    throw new ProtocolError(ErrorCode.PASSWORD_TOO_SHORT, `The password is too short: use at least ${minLength} characters (a few words make a good one)`);
  }
  if (length > MAX_PASSWORD_LENGTH) throw new ProtocolError(ErrorCode.BAD_REQUEST, `The password is too long: at most ${MAX_PASSWORD_LENGTH} characters`);
  if (isCommonPassword(password)) {
    throw new ProtocolError(ErrorCode.PASSWORD_TOO_COMMON, 'This password is one of the most common passwords, which attackers try first. Choose another.');
  }
}
