// Headers are forwarded whatever their name: `constructor` and `__proto__` are header names like
// any other, not members of a lookup object.
import t from 'tap'
import { startFakeDidit } from '../../src/dev/fake-didit.js'
import { rawRequest } from '../helpers/raw-http.js'
import { startSidecar } from '../helpers/sidecar.js'

t.test('client headers named constructor and __proto__ reach upstream', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  const sidecar = await startSidecar(t, { upstream: { url: didit.url } })
  const answer = await rawRequest(
    sidecar.url,
    'GET /v3/sessions/ HTTP/1.1\r\nHost: x\r\nconstructor: c-value\r\n__proto__: p-value\r\n\r\n'
  )
  t.equal(answer.status, 200)
  const raw = didit.requests[0]?.rawHeaders ?? []
  const pairs: string[] = []
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push(`${raw[i]?.toLowerCase()}: ${raw[i + 1]}`)
  t.ok(pairs.includes('constructor: c-value'), 'constructor forwarded')
  t.ok(pairs.includes('__proto__: p-value'), '__proto__ forwarded')
})
