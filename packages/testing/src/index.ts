// Public surface of @reprise/testing: real temporary stores, a virtual clock, and polling for tests.
// Everything here drives the production engine; nothing replaces it.
export { temporaryStore, type TemporaryStore } from "./temporary-store.js";
export { VirtualClock } from "./virtual-clock.js";
export { waitFor } from "./wait-for.js";
