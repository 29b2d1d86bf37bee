/** The file driver (a watched folder of YAML manifests). */
export * from './file-syncer.js'
export {
  parseManifestFile,
  isManifestFileName,
  type FileContents,
  type DocumentProblem,
} from './documents.js'
