/** @module @cattail/testapi: Test Kubernetes API server for cattail's tests (never shipped in the image) */
export {}
