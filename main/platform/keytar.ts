// Loads keytar (the optional OS keychain module); the loader lives in the client
// library's Node part, shared with the terminal client.
export { loadKeytar } from '../../server/client/node';
