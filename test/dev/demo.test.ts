// `npm run demo` runs end to end and prints its table (a small run: 40 requests).
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import t from 'tap'

t.test('the demo drives requests through the sidecar and reports what happened', async (t) => {
  const demo = spawn(
    process.execPath,
    [join(import.meta.dirname, '../../dist/src/dev/demo.js'), '--requests', '40', '--faults', '0.5'],
    {
      stdio: ['ignore', 'pipe', 'pipe']
    }
  )
  t.teardown(() => demo.kill('SIGKILL'))
  let output = ''
  demo.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  demo.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const code = await new Promise((resolve) => demo.on('exit', resolve))
  t.equal(code, 0, output)
  t.match(output, /^ {2}requests +40$/m)
  const attempts = Number(/^ {2}attempts +(\d+)$/m.exec(output)?.[1])
  t.ok(attempts > 40, `retries happened: ${attempts} attempts for 40 requests`)
  t.match(output, /^ {2}retry: \S+ +\d+$/m, 'retries by reason')
  t.match(output, /^ {2}outcome: \w+ \(\d{3}\) +\d+$/m, 'outcomes with status')
  t.match(output, /upstream received \d+ requests/)
  // The burst scenario: 40 POSTs at once against 10 per second, maxWait 1.5 s.
  t.match(output, /^ {2}rate limit: admitted +\d+$/m)
  t.match(output, /^ {2}rate limit: delayed +\d+$/m, 'some waited for a slot')
  t.match(output, /^ {2}rate limit: rejected +\d+$/m, 'some were refused locally')
  t.match(output, /^ {2}answered 429 +\d+$/m)
})
