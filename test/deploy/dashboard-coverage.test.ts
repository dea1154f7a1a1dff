// The dashboard keeps up with the metrics: every didit_sidecar_* family that a sidecar with
// everything enabled exports (rate limiting, both stores on Redis) is read by at least one panel,
// and every family a panel or an alert reads is exported, or listed as pending (another branch).
import t from 'tap'
import { client } from '../helpers/client.js'
import { startRedis } from '../helpers/redis-server.js'
import { startSidecar } from '../helpers/sidecar.js'
import { alertRules, dashboard, familiesOf, PENDING_FAMILIES } from './queries.js'

t.test('every exported family has a panel, every panel family exists', async (t) => {
  const redis = await startRedis()
  if (redis === null) {
    if (process.env.CI === 'true') throw new Error('redis-server is missing')
    t.comment('redis-server not installed; the memory store stands in')
  } else t.teardown(() => redis.stop())
  const store = redis === null ? { type: 'memory' } : { type: 'redis', url: redis.url }
  const sidecar = await startSidecar(t, {
    idempotency: { store },
    rateLimit: { enabled: true, store },
    routes: [{ name: 'aml', method: 'POST', path: '/v3/aml/', rateLimit: { limit: 10, window: '60s' } }]
  })
  // The admin endpoint as Prometheus sees it: every registered family has its # TYPE line.
  const text = (await client(t)(`${sidecar.adminUrl}/metrics`)).body.toString()
  const types = new Map([...text.matchAll(/^# TYPE (didit_sidecar_\w+) (\w+)$/gm)].map((m) => [m[1], m[2]]))
  t.ok(types.size >= 10, `the sidecar exports its families (${types.size})`)
  const histograms = new Set([...types].filter(([, type]) => type === 'histogram').map(([name]) => name as string))

  const panels = dashboard().panels.filter((panel) => panel.type !== 'row')
  const shown = new Set(panels.flatMap((panel) => (panel.targets ?? []).flatMap((x) => familiesOf(x.expr, histograms))))
  for (const family of types.keys()) t.ok(shown.has(family as string), `${family} is shown by a panel`)

  const alerting = alertRules().flatMap((rule) => familiesOf(rule.expr, histograms))
  for (const family of new Set([...shown, ...alerting])) {
    if (types.has(family)) continue
    t.ok(PENDING_FAMILIES.includes(family), `${family} is read by the dashboard or an alert: exported, or pending`)
  }
  const arrived = PENDING_FAMILIES.filter((family) => types.has(family))
  if (arrived.length > 0) t.comment(`pending families now exported (drop them from PENDING_FAMILIES): ${arrived}`)
  for (const family of PENDING_FAMILIES) t.ok(shown.has(family), `pending ${family} has its panel already`)
})

t.test('the dashboard is well formed', async (t) => {
  const board = dashboard()
  t.equal(board.uid, 'didit-sidecar')
  const ids = board.panels.map((panel) => panel.id)
  t.equal(new Set(ids).size, ids.length, 'panel ids are unique')
  const variables = board.templating.list.map((variable) => variable.name)
  t.same(variables, ['datasource', 'namespace', 'pod', 'route'])
  // Grafana's own variable syntax, not a template literal.
  const chosen = { type: 'prometheus', uid: ['$', '{datasource}'].join('') }
  for (const panel of board.panels.filter((p) => p.type !== 'row')) {
    t.same(panel.datasource, chosen, `${panel.title}: the chosen data source`)
    t.ok((panel.targets ?? []).length > 0, `${panel.title}: has queries`)
    for (const target of panel.targets ?? []) t.match(target.expr, /job="didit-sidecar"/, `${panel.title}: our job`)
    t.ok(panel.gridPos.x + panel.gridPos.w <= 24, `${panel.title}: fits the grid`)
  }
  // No two panels overlap on the 24-column grid.
  const cells = new Set<string>()
  let overlaps = 0
  for (const { gridPos: g } of board.panels)
    for (let x = g.x; x < g.x + g.w; x++)
      for (let y = g.y; y < g.y + g.h; y++) {
        if (cells.has(`${x},${y}`)) overlaps++
        cells.add(`${x},${y}`)
      }
  t.equal(overlaps, 0, 'no overlapping panels')
})
