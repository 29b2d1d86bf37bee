/** @module @cattail/agent: Node agent: sync client, pure calc, dataplane managers and drivers */
export {}
