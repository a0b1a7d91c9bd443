// "@reprise/testing/conformance": the Store conformance suite, kept at this path for existing imports. The suite
// lives in @reprise/store-conformance, which depends on no store, so store packages run it from their own tests.
export { describeStoreConformance, type StoreConformanceTarget } from "@reprise/store-conformance";
