/**
 * Messages of the cattail sync protocol (types, frame type bytes, constants, negotiation).
 * The protocol design, sequence diagram and upgrade rules are in `protocol.ts`.
 */
export * from './types.js'
export * from './protocol.js'
export * from './frame-types.js'
export * from './negotiate.js'
