// The client library's Node part, for programs that run on Node (Electron main,
// the terminal client): the `ws` socket, the OS keychain and "remember me" files.
// Browsers use ../index.ts only; nothing there imports this folder.
export { HANDSHAKE_CUT, wsSocketFactory, type WsSocketHandle } from './ws-socket';
export { KnownHosts } from './known-hosts';
export { pinningTrust, type CertificateTrust } from './tls-trust';
export { loadKeytar, openKeychain, type KeychainPort } from './keychain';
export { account, KeychainStore, parseStoredCredentials, PrivateFileStore, writePrivate, type CredentialStore, type StoredCredentials } from './credentials';
