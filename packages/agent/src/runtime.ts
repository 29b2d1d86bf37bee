/**
 * How the agent's Node.js process runs in production: the V8 flags and the glibc malloc settings
 * the DaemonSet (docker/manifests/base/agent.yaml) sets as environment variables. One constant,
 * read by the manifests' test (the DaemonSet must carry exactly these values) and by the
 * agent-memory benchmark (it forks its agent with exactly this environment), so the figure the
 * benchmark reports is the agent as shipped.
 *
 * Why each setting (measured with `npm run bench -- agent-memory`, which compares these settings
 * with Node's defaults in the same run):
 * - `--max-semi-space-size=1` (MiB): V8 sizes each young-generation semi-space from the heap limit,
 *   up to 32 MiB on a 64-bit machine with enough memory, and keeps what it grew to. The agent's
 *   allocation is bursty (a snapshot, then small deltas): a big nursery buys little speed and
 *   stays committed — it was most of the committed heap the benchmark saw. 1 MiB semi-spaces
 *   cost more scavenges while a snapshot is decoded (see the benchmark's sync_ms for both).
 * - `MALLOC_ARENA_MAX=2`: glibc creates up to 8 arenas per core for the threads that malloc (the
 *   libuv pool, V8's GC and compiler threads); each arena keeps its freed memory. Two bound that.
 * - `MALLOC_MMAP_THRESHOLD_=65536`: frames, inflate output and decoder buffers above 64 KiB get
 *   their own mapping, returned to the kernel when freed. Without it glibc raises the threshold
 *   after the first such buffer is freed (up to 32 MiB) and serves later ones from the brk heap,
 *   where freed holes stay resident. Setting it also turns off that dynamic adjustment.
 * These are environment variables, not command-line flags, so that the image's entrypoint stays
 * the same for every role (the cache's heap wants other settings) and Node's child processes are
 * not affected (the agent starts only ip, ipset and iptables). NODE_OPTIONS accepts only some V8
 * flags; the ones here are on its list.
 */

/** The environment the agent's container runs with (DaemonSet env), name → value. */
export const AGENT_RUNTIME_ENV: Readonly<Record<string, string>> = Object.freeze({
  NODE_OPTIONS: '--max-semi-space-size=1',
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '65536',
})
