// keepsKey: which endings without a complete upstream answer keep the client's key (the sidecar's
// own answer stored) rather than release it; shouldStore then accepts that answer.
import t from 'tap'
import { keepsKey, shouldStore } from '../../src/idempotency/stored.js'
import type { Failure } from '../../src/retry/classify.js'

t.test('a failed request keeps its key only after an ambiguous failure on a non-idempotent route', async (t) => {
  const table: [Failure | undefined, boolean][] = [
    ['reset', true],
    ['timeout', true],
    ['protocol', true],
    ['connect-failure', false],
    ['tls', false],
    ['other', false],
    [undefined, false]
  ]
  for (const [failure, kept] of table) {
    t.equal(keepsKey({ kind: 'failed', failure }, false), kept, `POST, ${failure}: ${kept ? 'kept' : 'released'}`)
    t.notOk(keepsKey({ kind: 'failed', failure }, true), `idempotent, ${failure}: released`)
  }
})

t.test('a cut body keeps the key unless its status releases it', async (t) => {
  t.ok(keepsKey({ kind: 'cut', status: 200 }, false))
  t.ok(keepsKey({ kind: 'cut', status: 502 }, false), '502 is not in the default releaseOn')
  t.notOk(keepsKey({ kind: 'cut', status: 503 }, false), '503 released by default')
  t.notOk(keepsKey({ kind: 'cut', status: 502 }, false, [502]), 'a route releasing 502')
  t.notOk(keepsKey({ kind: 'cut', status: 200 }, true), 'idempotent route: released')
})

t.test(
  "shouldStore accepts the sidecar's own answer when ambiguous, releaseOn aside, within maxResponseBody",
  async (t) => {
    t.notOk(shouldStore(502, false, 10, 1024), 'not ambiguous: never stored')
    t.ok(
      shouldStore(502, false, 10, 1024, [429, 502, 503], true),
      "releaseOn lists upstream statuses, not the sidecar's"
    )
    t.ok(shouldStore(504, false, 10, 1024, undefined, true))
    t.notOk(shouldStore(502, false, 2048, 1024, undefined, true), 'over maxResponseBody')
  }
)
