// The shipped alert rules: promtool accepts them, its unit tests (alerts.promtool.yaml) fire and
// do not fire each alert, and every alert carries summary, description, severity and a
// runbook_url whose section exists in docs/runbook.md.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { CHART, ROOT } from '../helpers/helm.js'

const RULES = join(CHART, 'files/prometheus/alerts.yaml')
const UNIT_TESTS = join(import.meta.dirname, 'alerts.promtool.yaml')
const ALERTS = [
  'DiditSidecarRetryRatioHigh',
  'DiditSidecarRetryBudgetExhausted',
  'DiditSidecarUpstreamUnreachable',
  'DiditSidecarUpstreamErrors',
  'DiditSidecarLatencyHigh',
  'DiditSidecarRateLimited',
  'DiditSidecarIdempotencyStoreErrors',
  'DiditSidecarRateLimitStoreErrors',
  'DiditSidecarDown'
]

interface Rule {
  alert: string
  expr: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}
const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap(
  (group) => group.rules
)

function promtool(args: string[]) {
  const result = spawnSync('promtool', args, { encoding: 'utf8' })
  if (result.error !== undefined) throw new Error(`promtool (Debian package prometheus): ${result.error.message}`)
  return { status: result.status, output: `${result.stdout}${result.stderr}` }
}

t.test('promtool check rules', async (t) => {
  const { status, output } = promtool(['check', 'rules', RULES])
  t.equal(status, 0, output)
  t.match(output, `SUCCESS: ${ALERTS.length} rules found`)
})

t.test('promtool test rules: each alert fires, and stays silent below its threshold', async (t) => {
  const { status, output } = promtool(['test', 'rules', UNIT_TESTS])
  t.equal(status, 0, output)
  type Case = { alertname: string; exp_alerts: unknown[] }
  const suite = parse(readFileSync(UNIT_TESTS, 'utf8')) as { tests: Array<{ alert_rule_test: Case[] }> }
  const cases = suite.tests.flatMap((test) => test.alert_rule_test)
  for (const alert of ALERTS) {
    const mine = cases.filter((c) => c.alertname === alert)
    t.ok(
      mine.some((c) => c.exp_alerts.length > 0),
      `${alert}: a case where it fires`
    )
    t.ok(
      mine.some((c) => c.exp_alerts.length === 0),
      `${alert}: a case where it does not fire`
    )
  }
})

t.test('every alert has severity, summary, description and a runbook section', async (t) => {
  t.same(rules.map((rule) => rule.alert).sort(), [...ALERTS].sort(), 'the alerts the issue asks for')
  const anchors = new Set(
    readFileSync(join(ROOT, 'docs/runbook.md'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('#'))
      .map(githubAnchor)
  )
  for (const rule of rules) {
    t.match(rule.labels?.severity, /^(warning|critical)$/, `${rule.alert}: severity`)
    t.ok((rule.annotations?.summary ?? '').length > 10, `${rule.alert}: summary`)
    t.ok((rule.annotations?.description ?? '').length > 20, `${rule.alert}: description`)
    const url = rule.annotations?.runbook_url ?? ''
    t.match(url, /^https:\/\/.+\/docs\/runbook\.md#.+/, `${rule.alert}: runbook_url`)
    t.ok(anchors.has(url.slice(url.indexOf('#') + 1)), `${rule.alert}: ${url} names a section of docs/runbook.md`)
  }
})

/** GitHub's heading anchor: lower case, punctuation dropped (but - and _), spaces to hyphens. */
function githubAnchor(heading: string): string {
  return heading
    .replace(/^#+\s*/, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}
