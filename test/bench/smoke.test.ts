// `npm run bench -- --smoke` runs every scenario for a fraction of a second against every contender
// installed here, and its JSON has every scenario and feeds the report, so that the benchmark cannot rot.
import { spawn } from 'node:child_process'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

const ROOT = join(import.meta.dirname, '../..')
const PER_CONTENDER = ['startup', 'post-saturation', 'get-saturation', 'post-1000rps', 'get-1000rps', 'upload-10mib']

interface Run {
  contender: string
  scenario: string
  requests?: number
  errors?: number
  statuses?: Record<string, number>
  attemptsPerRequest?: number
  peakRssMiB?: number
  rssBeforeMiB?: number
  rssAfterMiB?: number
  startToReadyMs?: number
  allocator?: string
}
interface Result {
  skipped: Record<string, string>
  runs: Run[]
  summary: { contender: string; scenario: string }[]
}

t.setTimeout(150_000)

t.test('the smoke run covers every scenario and contender and renders its report', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'didit-bench-smoke-'))
  const out = join(dir, 'result.json')
  const child = spawn(process.execPath, [join(ROOT, 'bench/run.mjs'), '--smoke', '--out', out], {
    stdio: ['ignore', 'ignore', 'pipe']
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  const code = await new Promise((resolve) => child.on('exit', resolve))
  t.equal(code, 0, stderr)
  const result = JSON.parse(await readFile(out, 'utf8')) as Result

  // Only binaries that may be missing are skipped, each with a notice.
  for (const name of Object.keys(result.skipped)) {
    t.ok(['nginx', 'haproxy'].includes(name), `${name} skipped`)
    t.match(stderr, `skipping ${name}`)
  }
  const contenders = ['direct', 'nginx', 'haproxy', 'node-http-proxy', 'fastify-http-proxy', 'sidecar'].filter(
    (name) => !(name in result.skipped)
  )
  for (const contender of contenders) {
    for (const scenario of PER_CONTENDER) {
      if (contender === 'direct' && scenario === 'startup') continue
      const run = result.runs.find((r) => r.contender === contender && r.scenario === scenario)
      if (!run) {
        t.fail(`${contender} ${scenario} is missing`)
        continue
      }
      if (scenario === 'startup') {
        t.ok((run.startToReadyMs ?? 0) > 0, `${contender} start to ready`)
        continue
      }
      t.ok((run.requests ?? 0) > 0, `${contender} ${scenario} sent requests`)
      t.equal(run.errors, 0, `${contender} ${scenario} without transport errors`)
      t.same(
        Object.keys(run.statuses ?? {}).filter((s) => !s.startsWith('2')),
        [],
        `${contender} ${scenario}: 2xx only`
      )
      if (contender !== 'direct') t.ok((run.peakRssMiB ?? 0) > 0, `${contender} ${scenario} peak RSS`)
      if (contender !== 'direct' && scenario === 'upload-10mib') {
        t.ok((run.rssBeforeMiB ?? 0) > 0 && (run.rssAfterMiB ?? 0) > 0, `${contender} RSS before and after the uploads`)
      }
    }
  }
  // The sidecar runs on the image's jemalloc wherever the library is installed (.ci/run installs it).
  const { imageAllocator } = (await import(join(ROOT, 'bench/contenders.mjs'))) as {
    imageAllocator(): { env: Record<string, string>; missing?: string }
  }
  const image = imageAllocator()
  const sidecarStart = result.runs.find((r) => r.contender === 'sidecar' && r.scenario === 'startup')
  t.equal(
    sidecarStart?.allocator,
    image.missing ? 'libc' : 'jemalloc',
    `the sidecar's allocator (${image.missing ?? 'jemalloc'})`
  )
  if (image.missing) t.match(stderr, "the sidecar runs on the C library's malloc")
  const retry = result.runs.find((r) => r.scenario === 'retry-503')
  t.ok(retry, 'the retry scenario ran')
  // 20 % of attempts fail, so more than one attempt per request on average, and never above maxAttempts.
  t.ok((retry?.attemptsPerRequest ?? 0) > 1 && (retry?.attemptsPerRequest ?? 0) <= 5, 'attempts per request')

  const { markdown, chart } = (await import(join(ROOT, 'bench/report.mjs'))) as {
    markdown(result: Result): string
    chart(summary: Result['summary']): Promise<string>
  }
  const md = markdown(result)
  for (const heading of ['at saturation', 'fixed 1000 req/s', '10 MiB multipart', 'Start to ready', '503']) {
    t.match(md, heading)
  }
  t.match(md, '| didit-sidecar |')
  t.match(await chart(result.summary), /^<svg[\s\S]*<\/svg>$/)
})
