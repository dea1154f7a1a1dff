// values.schema.json (draft-07, additionalProperties: false) makes helm refuse bad values before
// anything is rendered; each case names the field helm must point at.
import t from 'tap'
import { CHART, helm } from '../helpers/helm.js'

const BAD: Array<[string, string[], RegExp]> = [
  ['an unknown top-level key', ['--set', 'replicas=2'], /additional properties 'replicas' not allowed/],
  ['a misspelt nested key', ['--set', 'image.pullpolicy=Always'], /additional properties 'pullpolicy' not allowed/],
  ['a bad pull policy', ['--set', 'image.pullPolicy=Sometimes'], /\/image\/pullPolicy/],
  ['a port out of range', ['--set', 'admin.port=70000'], /\/admin\/port/],
  ['a port name over 15 characters', ['--set', 'admin.portName=didit-sidecar-admin'], /\/admin\/portName/],
  ['an upstream URL without scheme', ['--set', 'upstream.url=verification.didit.me'], /\/upstream\/url/],
  ['redis without a URL or Secret', ['--set', 'redis.enabled=true'], /\/redis/],
  ['a redis URL of another scheme', ['--set', 'redis.enabled=true,redis.url=http://redis:6379'], /\/redis\/url/],
  ['running as root', ['--set', 'securityContext.runAsUser=0'], /\/securityContext\/runAsUser/],
  ['a writable root filesystem', ['--set', 'securityContext.readOnlyRootFilesystem=false'], /readOnlyRootFilesystem/],
  ['privilege escalation', ['--set', 'securityContext.allowPrivilegeEscalation=true'], /allowPrivilegeEscalation/],
  ['a config key the chart owns', ['--set', 'config.listen.port=1'], /additional properties 'port' not allowed/],
  ['the admin host under config', ['--set', 'config.admin.host=127.0.0.1'], /additional properties 'host' not allowed/],
  ['the store type under config', ['--set', 'config.idempotency.store.type=redis'], /\/config\/idempotency\/store/],
  [
    'the rate-limit store under config',
    ['--set', 'config.rateLimit.store.url=redis://r'],
    /\/config\/rateLimit\/store/
  ],
  ['an unknown config key', ['--set', 'config.retires.maxAttempts=2'], /additional properties 'retires' not allowed/],
  ['a bad log level', ['--set', 'config.log.level=loud'], /\/config\/log\/level/],
  ['a route without a path', ['--set', 'config.routes[0].name=x,config.routes[0].method=GET'], /\/config\/routes\/0/],
  ['a non-string PodMonitor label', ['--set', 'podMonitor.additionalLabels.release=3'], /additionalLabels\/release/],
  ['a bad scrape interval', ['--set', 'podMonitor.interval=often'], /\/podMonitor\/interval/],
  ['a negative replica count', ['--set', 'demo.replicas=-1'], /\/demo\/replicas/],
  ['a bad memory quantity', ['--set', 'resources.limits.memory=lots'], /\/resources\/limits\/memory/]
]

for (const [what, args, where] of BAD) {
  t.test(what, async (t) => {
    const result = await helm(['template', 'release', CHART, ...args])
    t.not(result.code, 0, 'helm refuses')
    t.match(result.stderr, /values don't meet the specifications of the schema/, 'by the values schema')
    t.match(result.stderr, where, `and names the field: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`)
  })
}

t.test('the same values without the fault render', async (t) => {
  const result = await helm(['template', 'release', CHART, '--set', 'redis.enabled=true,redis.url=redis://redis:6379'])
  t.equal(result.code, 0, result.stderr)
})
