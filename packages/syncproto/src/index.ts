/** @module @cattail/syncproto: Wire messages, handshake, codec and the reference sync client */
export {}
