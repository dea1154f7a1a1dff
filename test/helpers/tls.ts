// A throwaway self-signed certificate for 127.0.0.1, made with openssl at test time.
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface Certificate {
  key: Buffer
  cert: Buffer
  certPath: string
}

/** null (with a reason) when openssl is missing locally; in CI a missing openssl is a failure. */
export async function selfSignedCertificate(): Promise<Certificate | { missing: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'didit-sidecar-tls-'))
  const keyPath = join(dir, 'key.pem')
  const certPath = join(dir, 'cert.pem')
  const openssl = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1'].concat([
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost'
    ]),
    { stdio: 'ignore' }
  )
  if (openssl.error !== undefined || openssl.status !== 0) {
    const reason = `openssl failed (${openssl.error?.message ?? `exit ${openssl.status}`})`
    if (process.env.CI === 'true') throw new Error(reason)
    return { missing: reason }
  }
  return { key: await readFile(keyPath), cert: await readFile(certPath), certPath }
}
