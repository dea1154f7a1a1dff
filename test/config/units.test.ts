import t from 'tap'
import { formatDuration, formatSize, parseDuration, parseSize } from '../../src/config/units.js'

t.test('durations parse to milliseconds', async (t) => {
  t.equal(parseDuration('250ms'), 250)
  t.equal(parseDuration('5s'), 5000)
  t.equal(parseDuration('1.5s'), 1500)
  t.equal(parseDuration('2m'), 120_000)
  t.equal(parseDuration('24h'), 86_400_000)
  t.equal(parseDuration(' 10s '), 10_000)
  t.equal(parseDuration(750), 750)
  t.equal(parseDuration(0), 0)
})

t.test('invalid durations are refused', async (t) => {
  for (const bad of ['5', '5 s', '5sec', '-1s', 's', '', '1d'] as const)
    t.throws(() => parseDuration(bad), RangeError, bad)
  t.throws(() => parseDuration(-1), RangeError)
  t.throws(() => parseDuration(1.5), RangeError)
})

t.test('sizes parse to bytes', async (t) => {
  t.equal(parseSize('512KiB'), 512 * 1024)
  t.equal(parseSize('32MiB'), 32 * 1024 * 1024)
  t.equal(parseSize('1GiB'), 1024 ** 3)
  t.equal(parseSize('10MB'), 10_000_000)
  t.equal(parseSize('1KB'), 1000)
  t.equal(parseSize('1GB'), 1e9)
  t.equal(parseSize('100B'), 100)
  t.equal(parseSize(4096), 4096)
  for (const bad of ['32M', '32 MiB', 'MiB', '1TiB']) t.throws(() => parseSize(bad), RangeError, bad)
})

t.test('durations and sizes format in their largest exact unit', async (t) => {
  t.equal(formatDuration(86_400_000), '24h')
  t.equal(formatDuration(120_000), '2m')
  t.equal(formatDuration(5000), '5s')
  t.equal(formatDuration(1500), '1500ms')
  t.equal(formatDuration(0), '0ms')
  t.equal(formatSize(32 * 1024 * 1024), '32MiB')
  t.equal(formatSize(512 * 1024), '512KiB')
  t.equal(formatSize(1024 ** 3), '1GiB')
  t.equal(formatSize(1000), '1000B')
})
