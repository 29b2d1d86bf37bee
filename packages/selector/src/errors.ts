/**
 * Errors of the selector package.
 *
 * A selector that does not parse is an expected outcome for callers that take selectors from users
 * (policies, annotations): {@link validateSelector} returns the error, {@link parseSelector} throws
 * it. The message wording is Calico's (libcalico-go `selector/tokenizer` and `selector/parser`) so
 * users see the same text; `position` is our addition.
 */
import { MeshError } from '@cattail/common'

/**
 * A selector string is not valid selector syntax.
 *
 * `message` is Calico's wording, e.g. `unterminated string`, `expected operator after label "a"`,
 * `unexpected token: TokRParen()`. `position` is the index (UTF-16 code units, as in
 * `String.prototype.slice`) in `selector` where the problem was found: the start of the offending
 * token, or `selector.length` when the input ended too early.
 */
export class SelectorParseError extends MeshError {
  readonly code = 'ERR_SELECTOR_PARSE'
  constructor(
    message: string,
    /** The selector text that failed to parse. */
    readonly selector: string,
    /** Index (UTF-16 code units) in `selector` where the problem was found. */
    readonly position: number
  ) {
    super(message)
  }
}

/** A LabelIndex callback called back into the index while it was reporting a change (a bug). */
export class LabelIndexReentrancyError extends MeshError {
  readonly code = 'ERR_LABEL_INDEX_REENTRANT'
  constructor() {
    super('label index updated from inside one of its callbacks')
  }
}
