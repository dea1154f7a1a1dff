// helm lint and helm template with the default values and every ci/*-values.yaml, each rendered
// object valid against the Kubernetes and prometheus-operator schemas, and the sidecar's key
// fields: a native sidecar (restartPolicy: Always) probed on the admin port, restricted security.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { parse } from 'yaml'
import { CHART, helm, ROOT } from '../helpers/helm.js'
import { CI_VALUES, find, type K8sObject, template, validateObject } from './render.js'
import { checkRestricted } from './restricted.js'

const CASES: Array<[string, string[]]> = [
  ['default values', []],
  ...CI_VALUES.map((file): [string, string[]] => [file.slice(file.lastIndexOf('/') + 1), ['-f', file]])
]

for (const [name, args] of CASES) {
  t.test(name, async (t) => {
    const lint = await helm(['lint', CHART, '--strict', ...args])
    t.equal(lint.code, 0, `helm lint: ${lint.stdout}${lint.stderr}`)

    const objects = await template(args)
    for (const object of objects) t.doesNotThrow(() => validateObject(object), `${object.kind} ${object.metadata.name}`)
    for (const object of objects) {
      const labels = (object.metadata.labels ?? {}) as Record<string, string>
      t.equal(labels['app.kubernetes.io/name'], 'didit-sidecar', `${object.kind}: name label`)
      t.equal(labels['app.kubernetes.io/instance'], 'release', `${object.kind}: instance label`)
      t.equal(labels['app.kubernetes.io/managed-by'], 'Helm', `${object.kind}: managed-by label`)
      t.ok(labels['app.kubernetes.io/version'], `${object.kind}: version label`)
    }
    t.ok(find(objects, 'ConfigMap')?.data?.['config.yaml'], 'a ConfigMap with config.yaml')
    const demo = find(objects, 'Deployment', '-demo')
    if (demo !== undefined) checkPod(t, demo, objects)
  })
}

t.test("the image tag defaults to the chart's appVersion, the sidecar's version", async (t) => {
  const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8'))
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  t.equal(chart.appVersion, pkg.version)
  const demo = find(await template(['--set', 'demo.enabled=true']), 'Deployment')
  t.equal(demo?.spec.template.spec.initContainers[0].image, `didit-sidecar:${pkg.version}`)
})

t.test("the chart runs the sidecar as the Dockerfile's user", async (t) => {
  const [, user, group] = /^USER (\d+):(\d+)$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')) ?? []
  const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8'))
  t.same(
    [values.securityContext.runAsUser, values.securityContext.runAsGroup],
    [Number(user), Number(group)],
    'runAsUser:runAsGroup'
  )
})

t.test('defaults: no demo, no prometheus-operator objects, no Secret, the dashboard ConfigMap', async (t) => {
  const kinds = (await template()).map((object) => `${object.kind}/${object.metadata.name}`).sort()
  t.same(kinds, ['ConfigMap/release-didit-sidecar', 'ConfigMap/release-didit-sidecar-dashboard'])
})

function checkPod(t: Test, deployment: K8sObject, objects: K8sObject[]): void {
  const pod = deployment.spec.template
  const [sidecar, ...otherInit] = pod.spec.initContainers
  t.equal(otherInit.length, 0, 'one init container: the sidecar')
  t.equal(sidecar.name, 'didit-sidecar')
  t.equal(sidecar.restartPolicy, 'Always', 'native sidecar')
  const admin = sidecar.ports.find((port: { name: string }) => port.name === sidecar.startupProbe.httpGet.port)
  t.ok(admin, 'probes use the named admin port')
  const configMap = objects.find((object) => object.kind === 'ConfigMap' && object.data?.['config.yaml'] !== undefined)
  const config = parse(configMap?.data['config.yaml'])
  t.same([config.admin.host, config.admin.port], ['0.0.0.0', admin.containerPort], 'admin port')
  t.equal(config.listen.host, '127.0.0.1', 'the proxy listens on loopback only')
  t.equal(sidecar.startupProbe.httpGet.path, '/healthz')
  t.equal(sidecar.livenessProbe.httpGet.path, '/healthz')
  // /readyz never asks Didit anything (src/admin.ts): readiness does not follow Didit's health.
  t.equal(sidecar.readinessProbe.httpGet.path, '/readyz')
  t.same(
    sidecar.env.find((env: { name: string }) => env.name === 'DIDIT_SIDECAR_CONFIG'),
    { name: 'DIDIT_SIDECAR_CONFIG', value: '/etc/didit-sidecar/config.yaml' },
    'config path'
  )
  t.same(sidecar.volumeMounts, [{ name: 'didit-sidecar-config', mountPath: '/etc/didit-sidecar', readOnly: true }])
  t.equal(pod.spec.volumes[0].configMap.name, configMap?.metadata.name, 'the volume is the chart ConfigMap')
  t.match(pod.metadata.annotations['checksum/config'], /^[0-9a-f]{64}$/, 'checksum/config annotation')
  t.ok(sidecar.resources.requests.cpu && sidecar.resources.requests.memory, 'requests')
  t.ok(sidecar.resources.limits.memory, 'memory limit')
  t.match(sidecar.image, /didit-sidecar:\S+$/, 'image')
  for (const container of [...pod.spec.initContainers, ...pod.spec.containers]) checkRestricted(t, pod.spec, container)
  const podMonitor = find(objects, 'PodMonitor')
  if (podMonitor !== undefined) {
    t.equal(podMonitor.spec.podMetricsEndpoints[0].port, admin.name, 'PodMonitor scrapes the admin port')
    for (const [key, value] of Object.entries(podMonitor.spec.selector.matchLabels ?? {}))
      t.equal(pod.metadata.labels[key], value, `PodMonitor selects the demo pods (${key})`)
  }
}
