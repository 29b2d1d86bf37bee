/**
 * Which role a Service plays: plain (may back federated Services), federated (annotation, no
 * `spec.selector`), or annotated but unusable (a `spec.selector`, or a selector that does not
 * parse). Annotated Services of any kind never back another one (no chaining). Pure.
 */
import { parseSelector, type Selector } from '@cattail/selector'
import { errorMessage } from '@cattail/common'
import { SERVICE_SELECTOR_ANNOTATION, type ServiceInfo } from './types.js'

/** The role of a Service. */
export type ServiceRole =
  | { readonly kind: 'plain' }
  | { readonly kind: 'federated'; readonly selector: Selector }
  /** Annotated and has a spec.selector: not federated (an event and a log line say so). */
  | { readonly kind: 'has-spec-selector'; readonly reason: string }
  /** Annotated with a selector that does not parse: federated, but its endpoints are emptied. */
  | { readonly kind: 'bad-selector'; readonly reason: string }

/** Classifies `svc` (see the file comment). Never throws. */
export function classifyService(svc: ServiceInfo): ServiceRole {
  const raw = svc.annotations[SERVICE_SELECTOR_ANNOTATION]
  if (raw === undefined) return { kind: 'plain' }
  if (svc.hasSpecSelector) {
    return {
      kind: 'has-spec-selector',
      reason: `Service has annotation ${SERVICE_SELECTOR_ANNOTATION} and a spec.selector; it is not federated (remove spec.selector to federate it)`,
    }
  }
  try {
    return { kind: 'federated', selector: parseSelector(raw) }
  } catch (err) {
    return {
      kind: 'bad-selector',
      reason: `invalid ${SERVICE_SELECTOR_ANNOTATION} ${JSON.stringify(raw)}: ${errorMessage(err)}`,
    }
  }
}

/** True when `svc` is annotated at all (and so never backs another federated Service). */
export function isAnnotated(svc: ServiceInfo): boolean {
  return svc.annotations[SERVICE_SELECTOR_ANNOTATION] !== undefined
}
