/**
 * Reloads the sync server's TLS certificate, key and CA when their files change, without
 * dropping connected clients.
 *
 * Implementation: every `intervalMs` the three files are read and hashed; when the hash differs
 * from the last one seen, the new material is handed to `apply` (the server's `setSecureContext`),
 * which affects only handshakes that start afterwards. Polling rather than fs.watch: Kubernetes
 * Secret volumes rotate files by swapping a symlinked folder, which watches on the files miss.
 * A half-rotated pair (new certificate, old key) fails to apply: it is logged, the old material
 * stays in use, and the next change is tried again. An unreadable file (mid-rotation) is retried
 * on the next tick.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { SecureContextOptions } from 'node:tls'
import { errorMessage, type Logger } from '@cattail/common'
import type { SyncServerTlsConfig } from './server-config.js'

interface TlsMaterial {
  readonly cert: Buffer
  readonly key: Buffer
  readonly ca: Buffer
  readonly hash: string
}

/** Polls the TLS files and applies changed material. */
export class TlsReloader {
  /** Reloads applied so far. */
  reloads = 0
  #timer: NodeJS.Timeout | undefined
  #lastHash: string | undefined
  #checking = false

  constructor(
    private readonly files: Pick<SyncServerTlsConfig, 'certFile' | 'keyFile' | 'caFile'>,
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly apply: (ctx: SecureContextOptions) => void
  ) {}

  /** Records the current files as the baseline and starts polling. */
  async start(): Promise<void> {
    const read = await this.#read().catch(() => undefined)
    this.#lastHash = read?.hash
    this.#timer = setInterval(() => void this.check(), this.intervalMs)
    this.#timer.unref()
  }

  /** Stops polling. */
  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** One poll (also called by tests): applies the files if they changed. Never throws. */
  async check(): Promise<void> {
    if (this.#checking) return
    this.#checking = true
    try {
      let read: TlsMaterial
      try {
        read = await this.#read()
      } catch (err) {
        this.log.warn({ err: errorMessage(err) }, 'cannot read TLS files; keeping the current ones')
        return
      }
      if (read.hash === this.#lastHash) return
      this.#lastHash = read.hash
      try {
        this.apply({ cert: read.cert, key: read.key, ca: read.ca })
        this.reloads++
        this.log.info({ certFile: this.files.certFile }, 'TLS certificate and key reloaded')
      } catch (err) {
        this.log.error(
          { err: errorMessage(err), certFile: this.files.certFile, keyFile: this.files.keyFile },
          'new TLS files are unusable; keeping the current ones'
        )
      }
    } finally {
      this.#checking = false
    }
  }

  async #read(): Promise<TlsMaterial> {
    const [cert, key, ca] = await Promise.all(
      [this.files.certFile, this.files.keyFile, this.files.caFile].map((f) => readFile(f))
    )
    const h = createHash('sha256')
    for (const b of [cert, key, ca] as Buffer[]) h.update(b).update('\0')
    return { cert: cert as Buffer, key: key as Buffer, ca: ca as Buffer, hash: h.digest('hex') }
  }
}
