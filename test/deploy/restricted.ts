// Pod Security Standards, "restricted" profile (Kubernetes 1.29), plus a read-only root
// filesystem: the checks the admission controller makes, on one container of a pod spec.
import type { Test } from 'tap'
import type { K8sObject } from './render.js'

export function checkRestricted(t: Test, spec: K8sObject, container: K8sObject): void {
  const what = `container ${container.name}`
  const own = container.securityContext ?? {}
  const pod = spec.securityContext ?? {}
  t.notOk(spec.hostNetwork || spec.hostPID || spec.hostIPC, 'no host namespaces')
  t.equal(own.privileged ?? false, false, `${what}: not privileged`)
  t.equal(own.allowPrivilegeEscalation, false, `${what}: allowPrivilegeEscalation false`)
  t.same(own.capabilities?.drop, ['ALL'], `${what}: drops ALL capabilities`)
  t.ok(
    (own.capabilities?.add ?? []).every((cap: string) => cap === 'NET_BIND_SERVICE'),
    `${what}: adds none`
  )
  t.equal(own.runAsNonRoot ?? pod.runAsNonRoot, true, `${what}: runAsNonRoot`)
  const uid = own.runAsUser ?? pod.runAsUser
  t.ok(Number.isInteger(uid) && uid > 0, `${what}: numeric non-root UID`)
  t.match((own.seccompProfile ?? pod.seccompProfile)?.type, /^(RuntimeDefault|Localhost)$/, `${what}: seccomp`)
  t.equal(own.readOnlyRootFilesystem, true, `${what}: read-only root filesystem`)
  t.notOk(
    (container.ports ?? []).some((port: { hostPort?: number }) => port.hostPort),
    `${what}: no hostPort`
  )
  const allowed = ['configMap', 'secret', 'emptyDir', 'projected', 'downwardAPI', 'persistentVolumeClaim', 'ephemeral']
  for (const volume of spec.volumes ?? []) {
    const types = Object.keys(volume).filter((key) => key !== 'name')
    t.ok(
      types.every((type) => allowed.includes(type)),
      `volume ${volume.name}: restricted volume types`
    )
  }
}
