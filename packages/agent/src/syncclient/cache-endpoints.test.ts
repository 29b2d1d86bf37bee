import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import {
  cacheAddressesFromSlices,
  type CacheEndpointOptions,
  type CacheEndpointSlice,
} from './cache-endpoints.js'

type Ep = NonNullable<CacheEndpointSlice['endpoints']>[number]
const ep = (ip: string, nodeName?: string, ready?: boolean): Ep => ({
  addresses: [ip],
  ...(nodeName !== undefined && { nodeName }),
  ...(ready !== undefined && { conditions: { ready } }),
})
const slice = (
  endpoints: Ep[],
  ports: CacheEndpointSlice['ports'] = [{ name: 'cattail-cache', port: 5473, protocol: 'TCP' }]
): CacheEndpointSlice => ({ addressType: 'IPv4', endpoints, ports })

/** A random source that keeps every order as given (the shuffle swaps nothing). */
const keep = (): number => 0.99
const opts: CacheEndpointOptions = {
  portName: 'cattail-cache',
  nodeName: 'me',
  scheme: 'ws',
  random: keep,
}

void describe('cacheAddressesFromSlices', () => {
  const cases: {
    name: string
    slices: CacheEndpointSlice[]
    over?: Partial<CacheEndpointOptions>
    want: string[]
  }[] = [
    { name: 'no slices', slices: [], want: [] },
    {
      name: 'ready endpoints only; unset ready counts as ready',
      slices: [slice([ep('10.0.0.1', 'a', true), ep('10.0.0.2', 'b', false), ep('10.0.0.3')])],
      want: ['ws://10.0.0.1:5473', 'ws://10.0.0.3:5473'],
    },
    {
      name: 'same-node endpoints first',
      slices: [slice([ep('10.0.0.1', 'a'), ep('10.0.0.2', 'me')]), slice([ep('10.0.0.3', 'me')])],
      want: ['ws://10.0.0.2:5473', 'ws://10.0.0.3:5473', 'ws://10.0.0.1:5473'],
    },
    {
      name: 'the named port wins over others; per slice',
      slices: [
        slice(
          [ep('10.0.0.1')],
          [
            { name: 'metrics', port: 9093 },
            { name: 'cattail-cache', port: 6000 },
          ]
        ),
        slice([ep('10.0.0.2')], [{ name: 'cattail-cache', port: 7000 }]),
      ],
      want: ['ws://10.0.0.1:6000', 'ws://10.0.0.2:7000'],
    },
    {
      name: 'an unnamed only port is used; several unnamed or a UDP port are not',
      slices: [
        slice([ep('10.0.0.1')], [{ port: 5473 }]),
        slice([ep('10.0.0.2')], [{ port: 1 }, { name: 'x', port: 2 }]),
        slice([ep('10.0.0.3')], [{ name: 'cattail-cache', port: 3, protocol: 'UDP' }]),
        slice([ep('10.0.0.4')], []),
      ],
      want: ['ws://10.0.0.1:5473'],
    },
    {
      name: 'wss, IPv6 in brackets, endpoints without addresses skipped',
      slices: [slice([ep('fd00::5'), { addresses: [] }, {}])],
      over: { scheme: 'wss' },
      want: ['wss://[fd00::5]:5473'],
    },
    {
      name: 'duplicates across slices keep their first place',
      slices: [slice([ep('10.0.0.1', 'me')]), slice([ep('10.0.0.1', 'me'), ep('10.0.0.2')])],
      want: ['ws://10.0.0.1:5473', 'ws://10.0.0.2:5473'],
    },
    {
      name: 'another port name',
      slices: [
        slice(
          [ep('10.0.0.1')],
          [
            { name: 'sync', port: 1 },
            { name: 'cattail-cache', port: 2 },
          ]
        ),
      ],
      over: { portName: 'sync' },
      want: ['ws://10.0.0.1:1'],
    },
  ]
  for (const c of cases) {
    void it(c.name, () => {
      assert.deepEqual(cacheAddressesFromSlices(c.slices, { ...opts, ...c.over }), c.want)
    })
  }

  void it('shuffles within each group with the injected random, never across groups', () => {
    const slices = [
      slice([
        ep('10.0.0.1', 'a'),
        ep('10.0.0.2', 'me'),
        ep('10.0.0.3', 'b'),
        ep('10.0.0.4', 'me'),
        ep('10.0.0.5', 'c'),
      ]),
    ]
    const local = new Set(['ws://10.0.0.2:5473', 'ws://10.0.0.4:5473'])
    const firsts = new Set<string>()
    let x = 1
    const random = (): number => (x = (x * 9301 + 49297) % 233280) / 233280
    for (let i = 0; i < 50; i++) {
      const got = cacheAddressesFromSlices(slices, { ...opts, random })
      assert.equal(got.length, 5)
      assert.ok(local.has(got[0] as string) && local.has(got[1] as string), got.join(' '))
      firsts.add(got[2] as string)
    }
    assert.equal(firsts.size, 3, 'every remote cache comes first among the remotes sometimes')
    // random() = 0 always swaps with the first element: a deterministic, different order.
    assert.deepEqual(cacheAddressesFromSlices(slices, { ...opts, random: () => 0 }), [
      'ws://10.0.0.4:5473',
      'ws://10.0.0.2:5473',
      'ws://10.0.0.3:5473',
      'ws://10.0.0.5:5473',
      'ws://10.0.0.1:5473',
    ])
  })
})
