/** @module @cattail/selector: Calico selector language: parser, evaluator, canonical form, label index (pure) */
export {}
