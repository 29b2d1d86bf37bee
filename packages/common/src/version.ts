/**
 * The cattail version, read from one place: the `version` of the repository's root package.json
 * (three levels up from this file in `src/` and in `dist/`; the container image keeps it). The
 * cache's ServerHello, the agent's ClientHello and `cattail --version` all use this constant.
 */
import { readFileSync } from 'node:fs'

function readRootVersion(): string {
  try {
    const url = new URL('../../../package.json', import.meta.url)
    const v = (JSON.parse(readFileSync(url, 'utf8')) as { version?: unknown }).version
    return typeof v === 'string' && v !== '' ? v : '0.0.0-unknown'
  } catch {
    return '0.0.0-unknown'
  }
}

/** The cattail version (root package.json), e.g. `0.1.0`; `0.0.0-unknown` if it cannot be read. */
export const CATTAIL_VERSION: string = readRootVersion()
