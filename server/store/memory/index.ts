// The in-memory store (no persistence; for benchmarks and fast tests).
export { MemoryStore } from './memory-store';
