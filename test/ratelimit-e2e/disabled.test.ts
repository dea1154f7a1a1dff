// Issue 8: `enabled: false` turns the limiter off entirely: no limit, and no traffic to its store.
import { once } from 'node:events'
import { createServer, type Socket } from 'node:net'
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import { metric, PATH, post, upstream, writes } from './harness.js'

t.test('disabled: nothing is limited and the Redis address is never contacted', async (t) => {
  const sockets: Socket[] = []
  const fakeRedis = createServer((socket) => sockets.push(socket)).listen(0, '127.0.0.1')
  await once(fakeRedis, 'listening')
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    fakeRedis.close()
  })
  const { port } = fakeRedis.address() as { port: number }
  const didit = await upstream(t)
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    rateLimit: {
      enabled: false,
      store: { type: 'redis', url: `redis://127.0.0.1:${port}` },
      maxWait: 0,
      limits: writes(1, '60s')
    }
  })
  const send = client(t)

  const answers = await Promise.all([1, 2, 3].map((n) => send(`${sidecar.url}${PATH}`, post(n))))
  t.same(
    answers.map((answer) => answer.status),
    [200, 200, 200]
  )
  t.equal(sockets.length, 0, 'no connection to the store')
  t.notMatch(await sidecar.metrics(), new RegExp(`${metric('rate_limit_total')}\\{`), 'no decisions')
})
