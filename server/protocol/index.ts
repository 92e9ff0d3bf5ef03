// The wire contract shared by the server, the Electron main process, the
// renderer and the client library. Pure TypeScript: it imports only zod, never
// node:* or the DOM.
export * from './limits';
export * from './canonical-name';
export * from './errors';
export * from './models';
export * from './attention';
export * from './search';
export * from './schemas';
export * from './validate';
export * from './json-codec';
export * from './text-codec';
