/** @module @cattail/cli: The cattail command */
export {}
