// Types of the optional `keytar` package, kept in the repo so type checks never
// depend on its native build: where keytar did not install (no libsecret),
// TypeScript falls back to this ambient declaration. Only what loadKeytar uses.
declare module 'keytar' {
  export function getPassword(service: string, account: string): Promise<string | null>;
  export function setPassword(service: string, account: string, password: string): Promise<void>;
  export function deletePassword(service: string, account: string): Promise<boolean>;
}
