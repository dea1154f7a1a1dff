// The README's Kubernetes snippet for users without Helm is valid Kubernetes, its config loads
// in the sidecar, and its sidecar container agrees with the chart's on the fields that matter.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse, parseAllDocuments } from 'yaml'
import { resolveConfig } from '../../src/config/load.js'
import { ROOT } from '../helpers/helm.js'
import { find, type K8sObject, template, validateObject } from './render.js'
import { checkRestricted } from './restricted.js'

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
const section = readme.slice(readme.indexOf('## Deployment'))
const snippet = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? ''
const objects = parseAllDocuments(snippet).map((document) => document.toJS() as K8sObject)

t.test('valid Kubernetes objects, a config the sidecar loads', async (t) => {
  t.same(
    objects.map((object) => object.kind),
    ['ConfigMap', 'Deployment']
  )
  for (const object of objects) t.doesNotThrow(() => validateObject(object), `${object.kind} ${object.metadata.name}`)
  const config = resolveConfig(parse(objects[0]?.data['config.yaml']), { env: { DIDIT_API_KEY: 'k' } })
  t.equal(config.listen.host, '127.0.0.1')
  t.equal(config.upstream.apiKey, 'k')
})

t.test('the same sidecar as the chart renders', async (t) => {
  const pod = objects[1]?.spec.template.spec
  const mine = pod.initContainers[0]
  const chart = find(await template(['--set', 'demo.enabled=true']), 'Deployment')?.spec.template.spec.initContainers[0]
  t.equal(mine.restartPolicy, 'Always')
  for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'])
    t.same(mine[probe].httpGet, chart[probe].httpGet, `${probe} target`)
  t.equal(mine.ports[0].name, chart.ports[0].name, 'admin port name')
  t.equal(mine.ports[0].containerPort, chart.ports[0].containerPort, 'admin port')
  t.same(mine.env[0], chart.env[0], 'config path')
  t.equal(mine.volumeMounts[0].mountPath, chart.volumeMounts[0].mountPath)
  checkRestricted(t, pod, mine)
})
