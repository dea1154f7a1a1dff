// Renders the chart with the real helm binary and checks each object against the Kubernetes
// (kubernetes-models) and prometheus-operator schemas.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { PodMonitor, PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'
import { Deployment } from 'kubernetes-models/apps/v1'
import { ConfigMap, Secret } from 'kubernetes-models/v1'
import { parseAllDocuments } from 'yaml'
import { CHART, helm } from '../helpers/helm.js'

export type K8sObject = {
  apiVersion: string
  kind: string
  metadata: {
    name: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    [key: string]: unknown
  }
} & Record<
  string,
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are walked field by field in the tests
  any
>

/** The kinds the chart renders, each with its schema. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'apps/v1/Deployment': Deployment,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule
}

/** The example values files, as `helm lint --with-subcharts` and chart-testing use them. */
export const CI_VALUES = readdirSync(join(CHART, 'ci'))
  .filter((name) => name.endsWith('-values.yaml'))
  .sort()
  .map((name) => join(CHART, 'ci', name))

export async function template(args: readonly string[] = []): Promise<K8sObject[]> {
  const result = await helm(['template', 'release', CHART, '--namespace', 'apps', ...args])
  if (result.code !== 0) throw new Error(`helm template ${args.join(' ')}: ${result.stderr}`)
  return parseAllDocuments(result.stdout)
    .map((document) => document.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null)
}

/** Throws naming the object when it does not validate against its kind's schema. */
export function validateObject(object: K8sObject): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`]
  if (Model === undefined) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`)
  try {
    new Model(object as never).validate()
  } catch (error) {
    throw new Error(`${object.kind} ${object.metadata.name}: ${(error as Error).message}`)
  }
}

export function find(objects: K8sObject[], kind: string, suffix = ''): K8sObject | undefined {
  return objects.find((object) => object.kind === kind && object.metadata.name.endsWith(suffix))
}
