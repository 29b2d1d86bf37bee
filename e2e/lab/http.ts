/**
 * What the e2e reads over HTTP inside a namespace: the answer of a GET run by a one-line node
 * script in that namespace, and the parts of `cattail status -o json` it checks.
 */

/** What `cattail status -o json` prints (the parts the e2e reads). */
export interface StatusJson {
  readonly healthy?: boolean
  readonly error?: string
  readonly remotes?: readonly {
    readonly name: string
    readonly state: string
    readonly lastError?: string
  }[]
}

/** The answer to a GET (status 0: no connection). */
export interface HttpResult {
  readonly status: number
  readonly body: string
}

/** A one-line node script that prints `{status, body}` of a GET as JSON. */
export function httpGetScript(url: string): string {
  return `fetch(${JSON.stringify(url)}).then(async r=>console.log(JSON.stringify({status:r.status,body:await r.text()})),e=>console.log(JSON.stringify({status:0,body:String(e)})))`
}
