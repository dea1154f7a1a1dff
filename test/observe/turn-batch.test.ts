// The log batch: one turn's lines reach the stream as one write, in order; at exit, what the
// stream holds is written first, then the turn's lines, synchronously.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { type LineStream, TurnBatch } from '../../src/observe/turn-batch.js'

function recorder(fd = -1) {
  const writes: string[] = []
  const held: string[] = []
  const stream: LineStream = {
    fd,
    write(line: string) {
      writes.push(line)
    },
    flushSync() {
      // Stands for sonic-boom's own buffer: written synchronously to the fd.
      for (const line of held.splice(0)) writeSync(fd, line)
    }
  }
  return { stream, writes, held }
}

const turn = () => new Promise((resolve) => setImmediate(resolve))

t.test("a turn's lines are one write, in order; the next turn's another", async (t) => {
  const { stream, writes } = recorder()
  const batch = new TurnBatch(stream)
  batch.write('a\n')
  batch.write('b\n')
  batch.write('c\n')
  t.same(writes, [], 'nothing written within the turn')
  await turn()
  t.same(writes, ['a\nb\nc\n'])
  batch.write('d\n')
  await turn()
  t.same(writes, ['a\nb\nc\n', 'd\n'], 'a lone line is written as is')
  await turn()
  t.equal(writes.length, 2, 'an empty turn writes nothing')
})

t.test("at exit: the stream's own lines first, then the turn's, synchronously", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'turn-batch-'))
  const file = join(dir, 'log')
  const fd = openSync(file, 'w')
  t.teardown(() => closeSync(fd))
  const { stream, writes, held } = recorder(fd)
  held.push('held by the stream\n')
  const batch = new TurnBatch(stream)
  batch.write('logged\n')
  batch.write('just before exit\n')
  batch.flushSync()
  t.equal(readFileSync(file, 'utf8'), 'held by the stream\nlogged\njust before exit\n')
  await turn()
  t.same(writes, [], 'the scheduled write finds nothing left')
})
