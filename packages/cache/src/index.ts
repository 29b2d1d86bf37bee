/** @module @cattail/cache: Snapshot cache and WebSocket fan-out server (the cattail cache daemon) */
export {}
