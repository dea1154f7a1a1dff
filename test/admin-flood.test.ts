// A flood of silent connections to the admin port (which listens on all interfaces) must not
// starve the proxy port: on the real CLI with a small descriptor limit, the admin server holds at
// most `admin.maxConnections` of them, cuts the held ones after `admin.timeout`, and a proxied
// request succeeds during the flood.
import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import t from 'tap'
import { startFakeDidit } from '../src/dev/fake-didit.js'
import { runCli, writeConfig } from './helpers/cli.js'
import { client } from './helpers/client.js'
import { startSidecar } from './helpers/sidecar.js'

const FLOOD = 300
const CAP = 16
const FD_LIMIT = 160

const openFds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length

t.test('silent admin connections beyond the cap are refused, held ones time out', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  const path = await writeConfig({ upstream: { url: didit.url }, admin: { maxConnections: CAP, timeout: '2s' } })
  const cli = runCli(t, ['--config', path])
  const { proxy, admin } = await cli.ready
  const pid = cli.child.pid as number
  // Fewer descriptors than the flood needs: without a cap, accept() fails on both ports.
  execFileSync('prlimit', ['--pid', String(pid), `--nofile=${FD_LIMIT}:${FD_LIMIT}`])
  const baseline = openFds(pid)
  t.ok(baseline + FLOOD > FD_LIMIT, 'the flood alone would exceed the limit')

  const { port } = new URL(admin)
  const sockets: Socket[] = []
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
  })
  const closed = Array.from({ length: FLOOD }, () => {
    const socket = connect(Number(port), '127.0.0.1')
    sockets.push(socket)
    socket.on('error', () => undefined)
    return new Promise<void>((resolve) => socket.once('close', () => resolve()))
  })
  await Promise.all(
    sockets.map((socket) => new Promise((resolve) => socket.once('connect', resolve).once('close', resolve)))
  )

  const send = client(t)
  const during = await send(`${proxy}/v3/sessions/`)
  t.equal(during.status, 200, 'the proxy port works during the flood')
  const fds = openFds(pid)
  t.ok(fds <= baseline + CAP + 8, `descriptors stay bounded (${fds} open, ${baseline} before)`)

  // The held ones are cut by the admin timeout, the others were refused at once.
  const all = await Promise.race([
    Promise.all(closed).then(() => 'closed'),
    new Promise((resolve) => setTimeout(() => resolve('still open'), 10_000))
  ])
  t.equal(all, 'closed', 'the server closed every flood connection')
  t.equal((await send(`${admin}/healthz`)).status, 200, 'healthz answers once the flood is over')
  t.ok(openFds(pid) <= baseline + 4, 'descriptors back to the baseline')
})

t.test('a client dribbling its request head is cut after admin.timeout', async (t) => {
  const sidecar = await startSidecar(t, { upstream: { url: 'http://127.0.0.1:1' }, admin: { timeout: '1s' } })
  const { port } = new URL(sidecar.adminUrl)
  const socket = connect(Number(port), '127.0.0.1')
  t.teardown(() => socket.destroy())
  socket.on('error', () => undefined)
  // One byte every 100 ms: never idle long enough for the idle timeout, so only the header timeout cuts it.
  const head = 'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: yes\r\n'.repeat(4)
  let sent = 0
  const dribble = setInterval(() => {
    if (!socket.destroyed) socket.write(head[sent++ % head.length] as string)
  }, 100)
  t.teardown(() => clearInterval(dribble))
  const started = Date.now()
  const closed = await Promise.race([
    new Promise((resolve) => socket.once('close', () => resolve('closed'))),
    new Promise((resolve) => setTimeout(() => resolve('still open'), 6000))
  ])
  t.equal(closed, 'closed', `cut after ${Date.now() - started} ms`)
})
