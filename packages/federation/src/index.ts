/** @module @cattail/federation: Federated services controller */
export {}
