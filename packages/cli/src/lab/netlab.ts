/**
 * A small network lab in Linux network namespaces, for the demo and the e2e tests (root only).
 *
 * Overview
 *
 *        ns <id>-ctl  (the "cluster network": caches and etcd run here)
 *        ┌──────────────────────────────────────────────┐
 *        │ br0 198.18.0.254/16                           │
 *        └──┬──────────────────────┬─────────────────────┘
 *           │ veth                 │ veth
 *   ns <id>-n0 (node)        ns <id>-n1 (node)       one per node: eth0 = underlay address,
 *     eth0 198.18.0.1/16       eth0 198.18.0.2/16    ip_forward on; cattail agent runs here
 *     cali0 ─┐                 cali0 ─┐
 *   ns <id>-n0p (pod)        ns <id>-n1p (pod)       eth0 = pod /32, default via 169.254.1.1
 *     eth0 198.19.0.2/32       eth0 198.19.64.2/32   (Calico's wiring: proxy ARP on cali0)
 *
 * Every address is inside namespaces the lab creates, from 198.18.0.0/15. `destroy()` removes every
 * namespace (which removes their links) and kills every process the lab spawned; it never throws.
 *
 * Implementation: iproute2 and sysctl through `ip netns exec`; processes via `ip netns exec <ns>`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { promisify } from 'node:util'

const execFileP = promisify(execFile)

/** One node of the lab and its single pod. */
export interface LabNodeSpec {
  /** Short name used in namespace names (letters/digits, ≤ 6 chars). */
  readonly id: string
  /** Underlay address of the node, inside 198.18.0.0/16. */
  readonly nodeIp: string
  /** The pod's address, inside 198.19.0.0/16. */
  readonly podIp: string
  /** Host-side name of the pod's veth (Calico names it `cali<hash>`). @default 'cali0' */
  readonly hostIface?: string
}

/** Underlay address of the control namespace (where caches listen). */
export const LAB_CONTROL_IP = '198.18.0.254'

/** Runs a command; resolves stdout; rejects with stderr in the message. */
export async function run(cmd: string, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, { maxBuffer: 64 << 20 })
    return stdout
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`, {
      cause: err,
    })
  }
}

/** A namespace topology plus the processes started in it. */
export class NetLab {
  readonly #children = new Set<ChildProcess>()
  readonly #namespaces: string[] = []

  private constructor(
    /** Prefix of every namespace name. */
    readonly prefix: string
  ) {}

  /** Name of the control namespace. */
  get controlNs(): string {
    return `${this.prefix}-ctl`
  }

  /** Name of a node's namespace. */
  nodeNs(id: string): string {
    return `${this.prefix}-${id}`
  }

  /** Name of a node's pod namespace. */
  podNs(id: string): string {
    return `${this.prefix}-${id}p`
  }

  /**
   * Builds the topology. On any failure everything built so far is removed before rethrowing.
   * @param prefix unique per run, e.g. `ct${process.pid}`
   */
  static async create(prefix: string, nodes: readonly LabNodeSpec[]): Promise<NetLab> {
    const lab = new NetLab(prefix)
    try {
      await lab.#build(nodes)
      return lab
    } catch (err) {
      await lab.destroy()
      throw err
    }
  }

  async #addNs(name: string): Promise<void> {
    await run('ip', 'netns', 'add', name)
    this.#namespaces.push(name)
    await run('ip', '-n', name, 'link', 'set', 'lo', 'up')
  }

  async #build(nodes: readonly LabNodeSpec[]): Promise<void> {
    const ctl = this.controlNs
    await this.#addNs(ctl)
    await run('ip', '-n', ctl, 'link', 'add', 'br0', 'type', 'bridge')
    await run('ip', '-n', ctl, 'addr', 'add', `${LAB_CONTROL_IP}/16`, 'dev', 'br0')
    await run('ip', '-n', ctl, 'link', 'set', 'br0', 'up')
    for (const [i, n] of nodes.entries()) {
      const ns = this.nodeNs(n.id)
      const pod = this.podNs(n.id)
      await this.#addNs(ns)
      await this.#addNs(pod)
      // underlay: eth0 in the node, port<i> on the bridge
      await run(
        'ip',
        '-n',
        ns,
        'link',
        'add',
        'eth0',
        'type',
        'veth',
        'peer',
        'name',
        `port${i}`,
        'netns',
        ctl
      )
      await run('ip', '-n', ctl, 'link', 'set', `port${i}`, 'master', 'br0', 'up')
      await run('ip', '-n', ns, 'addr', 'add', `${n.nodeIp}/16`, 'dev', 'eth0')
      await run('ip', '-n', ns, 'link', 'set', 'eth0', 'up')
      // a default route, as real nodes have: proxy ARP answers for 169.254.1.1 only when the node
      // has a route to it through another interface
      await run('ip', '-n', ns, 'route', 'add', 'default', 'via', LAB_CONTROL_IP, 'dev', 'eth0')
      await run('ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1')
      await this.#wirePod(ns, pod, n.podIp, n.hostIface ?? 'cali0')
    }
  }

  /**
   * Adds one more pod namespace (`<prefix>-<podId>`) to node `nodeId`, wired as Calico wires a pod.
   * It is removed by `destroy()` like the rest.
   */
  async addPod(nodeId: string, podId: string, ip: string, hostIface: string): Promise<string> {
    const pod = `${this.prefix}-${podId}`
    await this.#addNs(pod)
    await this.#wirePod(this.nodeNs(nodeId), pod, ip, hostIface)
    return pod
  }

  /** Calico's pod wiring: pod /32, default via 169.254.1.1 onlink, proxy ARP on the host side. */
  async #wirePod(ns: string, pod: string, ip: string, hostIface: string): Promise<void> {
    await run(
      'ip',
      '-n',
      ns,
      'link',
      'add',
      hostIface,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      pod
    )
    await run('ip', '-n', pod, 'addr', 'add', `${ip}/32`, 'dev', 'eth0')
    await run('ip', '-n', pod, 'link', 'set', 'eth0', 'up')
    await run('ip', '-n', pod, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link')
    await run('ip', '-n', pod, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0')
    await run('ip', '-n', ns, 'link', 'set', hostIface, 'up')
    await run('ip', 'netns', 'exec', ns, 'sysctl', '-qw', `net.ipv4.conf.${hostIface}.proxy_arp=1`)
    await run('ip', '-n', ns, 'route', 'add', `${ip}/32`, 'dev', hostIface, 'scope', 'link')
  }

  /**
   * Starts a long-running process inside `ns`. It is killed by `destroy()` (or `kill()`).
   * Output is handed to `onLine` line by line (stdout and stderr).
   */
  spawn(
    ns: string,
    argv: readonly string[],
    onLine: (line: string, stream: 'stdout' | 'stderr') => void = () => undefined,
    env: NodeJS.ProcessEnv = process.env
  ): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env,
    })
    this.#children.add(child)
    child.on('exit', () => this.#children.delete(child))
    for (const stream of ['stdout', 'stderr'] as const) {
      let buf = ''
      child[stream].on('data', (d: Buffer) => {
        buf += d.toString()
        let i: number
        while ((i = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, i), stream)
          buf = buf.slice(i + 1)
        }
      })
    }
    return child
  }

  /** Runs a command inside `ns` to completion and returns its stdout. */
  exec(ns: string, ...argv: string[]): Promise<string> {
    return run('ip', 'netns', 'exec', ns, ...argv)
  }

  /** Stops one spawned process (SIGTERM, SIGKILL after `graceMs`). */
  async kill(child: ChildProcess, graceMs = 5000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(t)
  }

  /** Kills every process and deletes every namespace. Idempotent; never throws. */
  async destroy(): Promise<void> {
    await Promise.all([...this.#children].map((c) => this.kill(c, 2000).catch(() => undefined)))
    for (const ns of this.#namespaces.splice(0).reverse()) {
      await run('ip', 'netns', 'del', ns).catch(() => undefined)
    }
  }
}
