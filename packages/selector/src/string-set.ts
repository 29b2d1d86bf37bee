/**
 * Sorted, de-duplicated string sets in UTF-8 byte order, as Calico's `ConvertToStringSetInPlace`.
 *
 * Overview: Go compares strings bytewise (UTF-8); JavaScript's `<` compares UTF-16 code units. The
 * two orders agree except where a character outside the Basic Multilingual Plane (a surrogate pair
 * in UTF-16) meets one in U+E000–U+FFFF. Canonical strings, and so unique ids and ipset names, must
 * match Calico's, so set values are sorted bytewise.
 *
 * Implementation: compare code units; only when the first difference involves a surrogate do we
 * fall back to comparing the UTF-8 encodings (`Buffer.compare`), which is exact even for lone
 * surrogates (encoded as U+FFFD, as Go does when converting).
 */

/** Compares two strings by the bytes of their UTF-8 encodings; returns <0, 0 or >0. */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i)
    const cb = b.charCodeAt(i)
    if (ca === cb) continue
    if ((ca >= 0xd800 && ca <= 0xdfff) || (cb >= 0xd800 && cb <= 0xdfff)) {
      return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
    }
    return ca - cb
  }
  return a.length - b.length
}

/** Returns the distinct values of `values`, sorted by UTF-8 bytes (a new array). */
export function toSortedSet(values: Iterable<string>): string[] {
  const sorted = [...values].sort(compareUtf8)
  let w = 0
  for (let r = 0; r < sorted.length; r++) {
    const v = sorted[r]!
    if (w === 0 || sorted[w - 1] !== v) sorted[w++] = v
  }
  sorted.length = w
  return sorted
}
