import t from 'tap'
import { parseCommand } from '../src/cli.js'

t.test('the config path: --config, then DIDIT_SIDECAR_CONFIG, then ./config.yaml', async (t) => {
  t.same(parseCommand([], {}), { kind: 'run', configPath: './config.yaml' })
  t.same(parseCommand([], { DIDIT_SIDECAR_CONFIG: '/etc/d.yaml' }), { kind: 'run', configPath: '/etc/d.yaml' })
  t.same(parseCommand(['--config', 'x.yaml'], { DIDIT_SIDECAR_CONFIG: '/etc/d.yaml' }), {
    kind: 'run',
    configPath: 'x.yaml'
  })
  t.same(parseCommand(['-c', 'y.yaml', '--check'], {}), { kind: 'check', configPath: 'y.yaml' })
})

t.test('help and usage errors', async (t) => {
  t.same(parseCommand(['-h'], {}), { kind: 'help' })
  t.same(parseCommand(['--check', '--help'], {}), { kind: 'help' })
  t.match(parseCommand(['--nope'], {}), { kind: 'usage-error', message: /--nope/ })
  t.match(parseCommand(['extra'], {}), { kind: 'usage-error' })
  t.match(parseCommand(['--config'], {}), { kind: 'usage-error' })
})
