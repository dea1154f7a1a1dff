// How users adopt the chart: their own chart depends on it and includes the named templates in
// its own pod spec. The result is a valid Deployment whose pod carries the native sidecar with
// the values the parent set for the subchart, and the subchart's ConfigMap it mounts.
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { parseAllDocuments } from 'yaml'
import { CHART, helm } from '../helpers/helm.js'
import { type K8sObject, validateObject } from './render.js'

const DEPLOYMENT = `{{- $sidecar := index .Subcharts "didit-sidecar" }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: kyc
spec:
  selector: {matchLabels: {app: kyc}}
  template:
    metadata:
      labels:
        app: kyc
        {{- include "didit-sidecar.podLabels" $sidecar | nindent 8 }}
      annotations:
        {{- include "didit-sidecar.podAnnotations" $sidecar | nindent 8 }}
    spec:
      initContainers:
        {{- include "didit-sidecar.container" $sidecar | nindent 8 }}
      containers:
        - name: app
          image: kyc:1
          env: [{name: DIDIT_BASE_URL, value: "http://127.0.0.1:8080"}]
      volumes:
        {{- include "didit-sidecar.volumes" $sidecar | nindent 8 }}
`

t.test('a parent chart includes the sidecar in its own pod spec', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'didit-parent-chart-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await mkdir(join(dir, 'templates'))
  await cp(CHART, join(dir, 'charts/didit-sidecar'), { recursive: true })
  await writeFile(
    join(dir, 'Chart.yaml'),
    'apiVersion: v2\nname: kyc\nversion: 1.0.0\ndependencies:\n  - name: didit-sidecar\n    version: 0.1.0\n'
  )
  await writeFile(
    join(dir, 'values.yaml'),
    'didit-sidecar:\n  apiKey: {existingSecret: didit, existingSecretKey: key}\n  grafanaDashboard: {enabled: false}\n'
  )
  await writeFile(join(dir, 'templates/deployment.yaml'), DEPLOYMENT)

  const result = await helm(['template', 'kyc', dir])
  t.equal(result.code, 0, result.stderr)
  const objects = parseAllDocuments(result.stdout).map((document) => document.toJS() as K8sObject)
  for (const object of objects) t.doesNotThrow(() => validateObject(object), `${object.kind} ${object.metadata.name}`)
  t.same(
    objects.map((object) => `${object.kind}/${object.metadata.name}`),
    ['ConfigMap/kyc-didit-sidecar', 'Deployment/kyc']
  )
  const pod = objects[1]?.spec.template
  const sidecar = pod.spec.initContainers[0]
  t.equal(sidecar.restartPolicy, 'Always')
  t.same(sidecar.env.find((env: { name: string }) => env.name === 'DIDIT_API_KEY').valueFrom.secretKeyRef, {
    name: 'didit',
    key: 'key'
  })
  t.equal(pod.spec.volumes[0].configMap.name, 'kyc-didit-sidecar', 'mounts the subchart ConfigMap')
  t.equal(pod.metadata.labels['didit-sidecar/release'], 'kyc-didit-sidecar')
  t.match(pod.metadata.annotations['checksum/config'], /^[0-9a-f]{64}$/)
})
