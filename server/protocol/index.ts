// The wire contract shared by the server, the Electron main process and the
// renderer. Pure TypeScript: it imports only zod, never node:* or the DOM.
export * from './limits';
export * from './errors';
export * from './schemas';
export * from './validate';
export * from './json-codec';
export * from './text-codec';
