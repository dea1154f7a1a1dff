// NOTES.txt, as `helm install` prints it: how to include the sidecar, and the warning that the
// memory stores deduplicate and rate-limit within one pod only, which Redis removes.
import t from 'tap'
import { CHART, helm } from '../helpers/helm.js'

async function notes(args: string[]): Promise<string> {
  const result = await helm(['install', 'release', CHART, '--dry-run=client', ...args])
  if (result.code !== 0) throw new Error(result.stderr)
  return result.stdout.slice(result.stdout.indexOf('NOTES:'))
}

t.test('the memory store: a warning about replicas', async (t) => {
  const text = await notes(['--set', 'demo.enabled=true,demo.replicas=3'])
  t.match(text, /WARNING: the idempotency store is in memory, so it deduplicates within one pod only/)
  t.match(text, /The rate\s+limiter also counts per pod/, 'the rate limiter too')
  t.match(text, /The demo Deployment runs 3 replicas with the memory store/)
  t.match(text, /include "didit-sidecar\.container"/, 'how to include the sidecar')
  t.match(text, /http:\/\/127\.0\.0\.1:8080/, 'where the application sends its calls')
})

t.test('redis: no warning', async (t) => {
  const text = await notes(['--set', 'redis.enabled=true,redis.url=redis://redis:6379,apiKey.existingSecret=didit'])
  t.notMatch(text, /WARNING/)
  t.notMatch(text, /No API key configured/)
})

t.test('alerts with the placeholder runbook location: a reminder to set it', async (t) => {
  t.match(await notes(['--set', 'prometheusRule.enabled=true']), /set prometheusRule\.runbookUrl/)
  const set = await notes(['--set', 'prometheusRule.enabled=true,prometheusRule.runbookUrl=https://git.corp/r.md'])
  t.notMatch(set, /runbookUrl/)
  t.notMatch(await notes([]), /runbookUrl/, 'no alerts, no reminder')
})
