// The PromQL that ships: every dashboard panel's queries and every alert expression, with the
// Grafana variables turned into plain PromQL, and the metric families each one reads.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { CHART } from '../helpers/helm.js'

export const DASHBOARD_FILE = join(CHART, 'files/grafana/dashboard.json')
export const ALERTS_FILE = join(CHART, 'files/prometheus/alerts.yaml')

/**
 * Families the dashboard shows before the sidecar exports them (a metric from a branch not merged
 * yet). The coverage test lists them instead of failing while they are absent. None today.
 */
export const PENDING_FAMILIES: readonly string[] = []

export interface Panel {
  id: number
  type: string
  title: string
  datasource?: { type: string; uid: string }
  gridPos: { x: number; y: number; w: number; h: number }
  targets?: Array<{ expr: string; refId: string; legendFormat?: string }>
}

export interface Dashboard {
  uid: string
  title: string
  panels: Panel[]
  templating: { list: Array<{ name: string; type: string; query: unknown }> }
}

export function dashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard
}

export function dashboardQueries(): Array<{ panel: string; expr: string }> {
  return dashboard().panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panel: `${panel.title} (${target.refId})`, expr: target.expr }))
  )
}

export interface AlertRule {
  alert: string
  expr: string
}

export function alertRules(): AlertRule[] {
  const file = parse(readFileSync(ALERTS_FILE, 'utf8')) as { groups: Array<{ rules: AlertRule[] }> }
  return file.groups.flatMap((group) => group.rules)
}

/** Grafana's variables as PromQL: every value of the template variables, `range` for the intervals. */
export function instantiate(expr: string, range = '1m'): string {
  return expr
    .replaceAll('$__rate_interval', range)
    .replaceAll('$__interval', range)
    .replaceAll('$__range', range)
    .replace(/\$\{?(namespace|pod|route)\}?/g, '.*')
}

/** An alert's condition without its final threshold: what must return series for it to mean anything. */
export function withoutThreshold(expr: string): string {
  const stripped = expr.trim().replace(/\s*(>|<|>=|<=|==|!=)\s*[0-9.]+$/, '')
  if (stripped === expr.trim()) throw new Error(`no final threshold in: ${expr}`)
  return stripped
}

/** didit_sidecar_* families an expression reads (histogram series names folded to their family). */
export function familiesOf(expr: string, histograms: ReadonlySet<string>): string[] {
  const names = expr.match(/\bdidit_sidecar_[a-z0-9_]+/g) ?? []
  return [
    ...new Set(
      names.map((name) => {
        const base = name.replace(/_(bucket|sum|count)$/, '')
        return base !== name && histograms.has(base) ? base : name
      })
    )
  ]
}
