/**
 * @module @cattail/common/testing: helpers for tests only (waiting on conditions, free ports,
 * temporary folders, a test PKI made with openssl, and a real etcd on loopback).
 */
export * from '../wait.js'
export * from './net.js'
export * from './pki.js'
export * from './etcd.js'
