// Memory stays bounded under many concurrent uploads to a slow upstream: past
// listen.maxBufferedTotal bodies are streamed instead of held. The bound is read from the
// process's peak resident size (VmHWM), so no sampling or timing is involved.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { Agent, request } from 'undici'
import { runCli, writeConfig } from '../helpers/cli.js'

const MiB = 1024 * 1024
const UPLOADS = 50
const BODY = 4 * MiB

function memory(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`))
  return Number(/(\d+) kB/.exec(line ?? '')?.[1] ?? Number.NaN) * 1024
}

t.test('concurrent uploads to a slow upstream: peak memory far below the sum of the bodies', async (t) => {
  // A slow upstream: it starts reading a body only after a while, then answers.
  let received = 0
  const upstream = createServer((req, res) => {
    setTimeout(() => {
      req.resume()
      req.on('end', () => {
        received++
        res.end('ok')
      })
    }, 800)
  })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    upstream.closeAllConnections()
    upstream.close()
  })
  const path = await writeConfig({
    upstream: { url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` },
    listen: { maxBufferedTotal: '8MiB' },
    retry: { maxBufferedBody: '8MiB' }
  })
  const cli = runCli(t, ['--config', path])
  const { proxy } = await cli.ready
  const pid = cli.child.pid as number
  const agent = new Agent()
  t.teardown(() => agent.close())
  const body = Buffer.alloc(BODY, 'x')
  // One warm-up upload, so that code paths and pools are in place before the baseline.
  await (await request(`${proxy}/v3/upload/`, { method: 'POST', body, dispatcher: agent })).body.dump()
  const baseline = memory(pid, 'VmRSS')
  const answers = await Promise.all(
    Array.from({ length: UPLOADS }, async () => {
      const response = await request(`${proxy}/v3/upload/`, { method: 'POST', body, dispatcher: agent })
      await response.body.dump()
      return response.statusCode
    })
  )
  t.same(new Set(answers), new Set([200]), 'every upload answered')
  t.equal(received, UPLOADS + 1, 'every body reached upstream once')
  const growth = memory(pid, 'VmHWM') - baseline
  // Holding every body grows the peak by 217-278 MiB here. Within the budget it grows by about
  // 40 MiB on Node 20 but 107-137 MiB on Node 24 (streamed bodies under backpressure; cause not
  // found yet), so the bound sits between the two: 0.85 of the bodies' sum.
  t.ok(
    growth < UPLOADS * BODY * 0.85,
    `peak grew by ${Math.round(growth / MiB)} MiB for ${(UPLOADS * BODY) / MiB} MiB of bodies`
  )
})
