/**
 * Name rules that keys and remote prefixes depend on.
 */

const RCC_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/**
 * Why `name` is not a valid RemoteClusterConfiguration name, or undefined when it is. RCC names
 * become the `<cluster>/` prefix of remote keys and names, so they are lower-case alphanumerics
 * and `-` only (no `/`, no `.`), at most 63 characters.
 */
export function remoteClusterNameProblem(name: string): string | undefined {
  if (name === '') return 'is required'
  if (name.length > 63) return `${JSON.stringify(name)} is longer than 63 characters`
  if (!RCC_NAME.test(name)) {
    return `${JSON.stringify(name)} must consist of lower-case alphanumerics and "-", starting and ending with an alphanumeric`
  }
  return undefined
}

/** True when `name` can name a remote cluster. */
export const isValidRemoteClusterName = (name: string): boolean =>
  remoteClusterNameProblem(name) === undefined
