// The monitoring objects carry the shipped files unchanged: the PrometheusRule holds the groups
// of files/prometheus/alerts.yaml (runbook links pointed at runbookUrl), the dashboard ConfigMap
// the JSON of files/grafana/dashboard.json with Grafana's discovery label; the PodMonitor sets
// job="didit-sidecar", which the alerts and the dashboard select.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { parse } from 'yaml'
import { ALERTS_FILE, DASHBOARD_FILE } from './queries.js'
import { CI_VALUES, find, template } from './render.js'

const MONITORING = CI_VALUES.find((file) => file.endsWith('/monitoring-values.yaml')) as string
const values = parse(readFileSync(MONITORING, 'utf8'))

t.test('PrometheusRule: the alert file, with the configured runbook location', async (t) => {
  const rule = find(await template(['-f', MONITORING]), 'PrometheusRule')
  t.same(rule?.metadata.labels?.release, 'kube-prometheus-stack', 'additionalLabels')
  const source = readFileSync(ALERTS_FILE, 'utf8').replaceAll(
    'https://didit-sidecar.example/docs/runbook.md',
    values.prometheusRule.runbookUrl
  )
  t.same(rule?.spec, parse(source))
  for (const alert of rule?.spec.groups[0].rules ?? [])
    t.match(alert.annotations.runbook_url, `${values.prometheusRule.runbookUrl}#`, `${alert.alert}: runbook_url`)
})

t.test('dashboard ConfigMap: the JSON file, found by Grafana', async (t) => {
  const map = find(await template(['-f', MONITORING]), 'ConfigMap', '-dashboard')
  t.equal(map?.metadata.labels?.grafana_dashboard, '1')
  t.equal(map?.metadata.labels?.team, 'identity', 'additionalLabels')
  t.equal(map?.metadata.annotations?.grafana_folder, 'Identity')
  t.same(JSON.parse(map?.data['didit-sidecar.json']), JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')))
})

t.test('PodMonitor: the admin port, job="didit-sidecar", additionalLabels', async (t) => {
  const monitor = find(await template(['-f', MONITORING]), 'PodMonitor')
  t.equal(monitor?.metadata.labels?.release, 'kube-prometheus-stack')
  const [endpoint] = monitor?.spec.podMetricsEndpoints ?? []
  t.equal(endpoint.port, 'didit-admin')
  t.equal(endpoint.path, '/metrics')
  t.equal(endpoint.interval, '15s')
  t.same(endpoint.relabelings, [{ targetLabel: 'job', replacement: 'didit-sidecar' }])
})

t.test('off by default: no PodMonitor, no PrometheusRule', async (t) => {
  const kinds = (await template()).map((object) => object.kind)
  t.notOk(kinds.includes('PodMonitor'))
  t.notOk(kinds.includes('PrometheusRule'))
})
