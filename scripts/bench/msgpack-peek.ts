/**
 * Reads single fields out of msgpack bytes without decoding the rest (for the load client,
 * which must stay cheaper than the server it measures). Handles every msgpack type when skipping.
 */

/** A cursor over msgpack bytes. */
export class MsgpackPeek {
  pos: number
  constructor(
    private readonly b: Uint8Array,
    start = 0
  ) {
    this.pos = start
  }

  #u8(): number {
    const v = this.b[this.pos++]
    if (v === undefined) throw new RangeError('msgpack: truncated')
    return v
  }

  #uint(n: number): number {
    let v = 0
    for (let i = 0; i < n; i++) v = v * 256 + this.#u8()
    return v
  }

  /** Reads a map header; returns its entry count. */
  mapLength(): number {
    const t = this.#u8()
    if (t >= 0x80 && t <= 0x8f) return t & 0x0f
    if (t === 0xde) return this.#uint(2)
    if (t === 0xdf) return this.#uint(4)
    throw new TypeError(`msgpack: expected a map, got 0x${t.toString(16)}`)
  }

  /** Reads an array header; returns its length. */
  arrayLength(): number {
    const t = this.#u8()
    if (t >= 0x90 && t <= 0x9f) return t & 0x0f
    if (t === 0xdc) return this.#uint(2)
    if (t === 0xdd) return this.#uint(4)
    throw new TypeError(`msgpack: expected an array, got 0x${t.toString(16)}`)
  }

  /** Reads a string. */
  str(): string {
    const t = this.#u8()
    const len =
      t >= 0xa0 && t <= 0xbf
        ? t & 0x1f
        : t === 0xd9
          ? this.#uint(1)
          : t === 0xda
            ? this.#uint(2)
            : t === 0xdb
              ? this.#uint(4)
              : -1
    if (len < 0) throw new TypeError(`msgpack: expected a string, got 0x${t.toString(16)}`)
    const s = Buffer.from(this.b.buffer, this.b.byteOffset + this.pos, len).toString('utf8')
    this.pos += len
    return s
  }

  /**
   * Reads a string and says whether it equals `want` (ASCII/UTF-8 bytes), comparing in place:
   * no string is allocated, which matters when 1,000 simulated clients read every header.
   */
  strIs(want: Uint8Array): boolean {
    const len = this.#strLen()
    const start = this.pos
    this.pos += len
    if (len !== want.length) return false
    const b = this.b
    for (let i = 0; i < len; i++) if (b[start + i] !== want[i]) return false
    return true
  }

  #strLen(): number {
    const t = this.#u8()
    if (t >= 0xa0 && t <= 0xbf) return t & 0x1f
    if (t === 0xd9) return this.#uint(1)
    if (t === 0xda) return this.#uint(2)
    if (t === 0xdb) return this.#uint(4)
    throw new TypeError(`msgpack: expected a string, got 0x${t.toString(16)}`)
  }

  /** Reads a non-negative integer or a float64. */
  num(): number {
    const t = this.#u8()
    if (t <= 0x7f) return t
    if (t >= 0xcc && t <= 0xcf) return this.#uint(1 << (t - 0xcc))
    if (t === 0xcb) {
      const v = Buffer.from(this.b.buffer, this.b.byteOffset + this.pos, 8).readDoubleBE(0)
      this.pos += 8
      return v
    }
    throw new TypeError(`msgpack: expected a number, got 0x${t.toString(16)}`)
  }

  /** In a map whose header was just read (`n` entries), positions at the value of `key`. */
  find(n: number, key: string | Uint8Array): boolean {
    const want = typeof key === 'string' ? Buffer.from(key) : key
    for (let i = 0; i < n; i++) {
      if (this.strIs(want)) return true
      this.skip()
    }
    return false
  }

  /** Skips one value of any type. */
  skip(): void {
    const t = this.#u8()
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) return
    if (t >= 0xa0 && t <= 0xbf) return void (this.pos += t & 0x1f)
    if (t >= 0x80 && t <= 0x8f) return this.#skipN((t & 0x0f) * 2)
    if (t >= 0x90 && t <= 0x9f) return this.#skipN(t & 0x0f)
    switch (t) {
      case 0xcc:
      case 0xd0:
        this.pos += 1
        return
      case 0xcd:
      case 0xd1:
        this.pos += 2
        return
      case 0xce:
      case 0xd2:
      case 0xca:
        this.pos += 4
        return
      case 0xcf:
      case 0xd3:
      case 0xcb:
        this.pos += 8
        return
      case 0xd9:
      case 0xc4:
        this.#advance(this.#uint(1))
        return
      case 0xda:
      case 0xc5:
        this.#advance(this.#uint(2))
        return
      case 0xdb:
      case 0xc6:
        this.#advance(this.#uint(4))
        return
      case 0xdc:
        return this.#skipN(this.#uint(2))
      case 0xdd:
        return this.#skipN(this.#uint(4))
      case 0xde:
        return this.#skipN(this.#uint(2) * 2)
      case 0xdf:
        return this.#skipN(this.#uint(4) * 2)
      case 0xd4:
        this.pos += 2
        return
      case 0xd5:
        this.pos += 3
        return
      case 0xd6:
        this.pos += 5
        return
      case 0xd7:
        this.pos += 9
        return
      case 0xd8:
        this.pos += 17
        return
      case 0xc7:
        this.#advance(this.#uint(1) + 1)
        return
      case 0xc8:
        this.#advance(this.#uint(2) + 1)
        return
      case 0xc9:
        this.#advance(this.#uint(4) + 1)
        return
      default:
        throw new TypeError(`msgpack: bad type byte 0x${t.toString(16)}`)
    }
  }

  /** Moves past `n` bytes (a separate call: `pos += f()` would read `pos` before `f` moves it). */
  #advance(n: number): void {
    this.pos += n
  }

  #skipN(n: number): void {
    for (let i = 0; i < n; i++) this.skip()
  }
}
