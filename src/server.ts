#!/usr/bin/env node
// Entry point: load config, build the app, listen, and handle signals. On SIGTERM/SIGINT
// (cloud-sql-proxy's model, suited to classic and native sidecars): readiness turns 503 at
// once, new requests are still served for `shutdown.delay`, then the listener closes and
// in-flight requests finish within `shutdown.drainTimeout`, then the process exits 0.
import { setTimeout as sleep } from 'node:timers/promises'
import { buildApp, type Sidecar } from './app.js'
import { parseCommand, USAGE } from './cli.js'
import { ConfigError, loadConfigFile } from './config/load.js'
import type { Config } from './config/schema.js'

async function main(): Promise<number | undefined> {
  const command = parseCommand(process.argv.slice(2), process.env)
  if (command.kind === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  if (command.kind === 'usage-error') {
    process.stderr.write(`didit-sidecar: ${command.message}\n\n${USAGE}`)
    return 2
  }
  let config: Config
  try {
    config = await loadConfigFile(command.configPath)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`didit-sidecar: ${command.configPath}: ${error.message}\n`)
    return 1
  }
  if (command.kind === 'check') {
    // Only --check prints: its YAML writer and the TypeBox schema stay out of a normal start.
    const { printConfig } = await import('./config/print.js')
    process.stdout.write(`# ${command.configPath}: valid\n${printConfig(config)}`)
    return 0
  }
  const app = buildApp(config)
  const failed = await listen(app, config)
  if (failed !== null) {
    // No half-started process: without probes or metrics the pod would look alive and unobserved.
    process.stderr.write(`didit-sidecar: ${failed}\n`)
    process.exit(1)
  }
  app.lifecycle.state = 'ready'
  app.logger.info({ proxy: address(app.proxy), admin: address(app.admin), upstream: config.upstream.url }, 'ready')
  let stopping = false
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) {
        app.logger.warn({ signal }, 'second signal: exiting without waiting')
        process.exit(1)
      }
      stopping = true
      shutdown(app, config.shutdown, signal).then(
        () => process.exit(0),
        (error) => {
          app.logger.error({ err: error }, 'shutdown failed')
          process.exit(1)
        }
      )
    })
  }
  return undefined
}

/** Starts both listeners; the reason in one line when either fails. */
async function listen(app: Sidecar, config: Config): Promise<string | null> {
  for (const [name, server, options] of [
    ['proxy', app.proxy, config.listen],
    ['admin', app.admin, config.admin]
  ] as const) {
    try {
      await server.listen({ host: options.host, port: options.port })
    } catch (error) {
      return `cannot start the ${name} listener on ${options.host}:${options.port}: ${(error as Error).message}`
    }
  }
  return null
}

async function shutdown(app: Sidecar, { delay, drainTimeout }: Config['shutdown'], signal: string) {
  app.lifecycle.state = 'draining'
  app.logger.info({ signal, delayMs: delay, drainTimeoutMs: drainTimeout }, 'draining')
  await sleep(delay)
  const timer = setTimeout(() => {
    app.logger.warn('drain timeout: closing the remaining connections')
    void app.forceClose()
  }, drainTimeout)
  await app.close()
  clearTimeout(timer)
  app.logger.info('stopped')
}

function address(server: Sidecar['proxy']): string {
  const info = server.server.address()
  return typeof info === 'object' && info !== null ? `${info.address}:${info.port}` : String(info)
}

main().then(
  (code) => {
    if (code !== undefined) process.exitCode = code
  },
  (error) => {
    process.stderr.write(`didit-sidecar: ${(error as Error).stack ?? error}\n`)
    process.exitCode = 1
  }
)
