// undici's Agent and its request API, without undici's index, which also loads fetch, WebSocket,
// EventSource, the mock agents, caches and interceptors: about 55 ms of CPU and 8 MiB at start-up
// (issue 9). The index adds the request API to Dispatcher.prototype; so does this module.
// test/upstream/undici-agent.test.ts checks that these are the index's own classes and methods.
import { createRequire } from 'node:module'
import type * as Undici from 'undici'

const require = createRequire(import.meta.url)
const Dispatcher: typeof Undici.Dispatcher = require('undici/lib/dispatcher/dispatcher.js')
Object.assign(Dispatcher.prototype, require('undici/lib/api/index.js'))

export const Agent: typeof Undici.Agent = require('undici/lib/dispatcher/agent.js')
export type Agent = Undici.Agent
