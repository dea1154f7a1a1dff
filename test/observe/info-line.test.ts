// The request line is written by infoLine, not by pino's info(): it must be byte for byte the line
// pino would write (level, time, bindings, fields, msg), escapes and omitted fields included.
import { Writable } from 'node:stream'
import { pino } from 'pino'
import t from 'tap'
import { infoLine } from '../../src/observe/logging.js'

function capture(level: string, bindings: Record<string, string> = {}) {
  const lines: string[] = []
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk))
      done()
    }
  })
  // A fixed clock, so that both lines carry the same time.
  const logger = pino({ level, base: { service: 'didit-sidecar' }, timestamp: () => ',"time":42' }, destination)
  return { logger: Object.keys(bindings).length > 0 ? logger.child(bindings) : logger, lines }
}

const cases: Array<Record<string, unknown>> = [
  { reqId: 'f0e1d2c3-b4a5-4678-9abc-def012345678', method: 'POST', status: 201, durationMs: 3.4 },
  { quote: 'a"b', backslash: 'c\\d', control: 'e\u0001f', unicode: 'ü✓', long: 'x'.repeat(150) },
  // One value to escape among plain ones, and a number: the whole line goes the slow way.
  { plain: 'abc', status: 200, tab: 'a\tb', after: 'xyz', nested: { a: 1 } },
  { missing: undefined, notFinite: Number.POSITIVE_INFINITY, nan: Number.NaN, zero: 0, negative: -1.25 },
  { lone: 'a\ud800b', pair: '😀', del: '\u007f', separators: '\u2028\u2029', empty: '' },
  { yes: true, no: false, nothing: null, tiny: 1e-7, huge: 1e21, negativeZero: -0 },
  {}
]

t.test('each line is the one pino writes for the same fields', async (t) => {
  for (const fields of cases) {
    const viaPino = capture('info', { server: 'proxy' })
    viaPino.logger.info(fields, 'request completed')
    const viaLine = capture('info', { server: 'proxy' })
    infoLine(viaLine.logger, 'request completed', Object.keys(fields))(Object.values(fields))
    t.equal(viaLine.lines.join(''), viaPino.lines.join(''), JSON.stringify(Object.keys(fields)))
    t.ok(JSON.parse(viaLine.lines[0] as string), 'parses as JSON')
  }
})

t.test('nothing is written below the logger level', async (t) => {
  const { logger, lines } = capture('warn')
  infoLine(logger, 'request completed', ['reqId'])(['r'])
  t.same(lines, [])
})
