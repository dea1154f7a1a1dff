// No secret header value and no body byte ever appears in the output, at any log level,
// whatever happens to the request (success, retries, upstream failure, bad input).
import t from 'tap'
import { startFakeDidit } from '../../src/dev/fake-didit.js'
import { runCli, writeConfig } from '../helpers/cli.js'
import { client } from '../helpers/client.js'

const SECRETS = {
  apiKey: 'SECRET-INJECTED-KEY-5f1e',
  clientKey: 'SECRET-CLIENT-KEY-93ab',
  authorization: 'Bearer SECRET-TOKEN-77c2',
  cookie: 'session=SECRET-COOKIE-0d4e',
  setCookie: 'sid=SECRET-SET-COOKIE-a1b2; HttpOnly',
  requestBody: 'SECRET-BODY-PASSPORT-NUMBER-X1234567',
  responseBody: 'SECRET-RESPONSE-BODY-DATE-OF-BIRTH'
}

t.test('trace-level output carries no secret and no body', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  didit.script({ path: '/v3/echo/' }, [
    { status: 503, body: { detail: SECRETS.responseBody } },
    { status: 200, headers: { 'set-cookie': SECRETS.setCookie }, body: { detail: SECRETS.responseBody } }
  ])
  didit.script({ path: '/v3/broken/' }, { action: 'reset' }, { repeat: true })
  const path = await writeConfig({
    upstream: { url: didit.url, apiKey: SECRETS.apiKey },
    log: { level: 'trace' },
    retry: { backoff: { base: '1ms' } }
  })
  const cli = runCli(t, ['--config', path])
  const { proxy } = await cli.ready
  const send = client(t)
  const headers = {
    'x-api-key': SECRETS.clientKey,
    'X-Api-Key': SECRETS.clientKey,
    authorization: SECRETS.authorization,
    cookie: SECRETS.cookie,
    'content-type': 'application/json'
  }
  const body = JSON.stringify({ document_number: SECRETS.requestBody })
  const ok = await send(`${proxy}/v3/echo/`, { method: 'PUT', headers, body })
  t.equal(ok.status, 200)
  t.equal(ok.headers['x-sidecar-attempts'], '2')
  t.equal((await send(`${proxy}/v3/broken/`, { method: 'PUT', headers, body })).status, 502)
  t.equal(
    (await send(`${proxy}/v3/echo/`, { method: 'POST', headers: { ...headers, 'idempotency-key': 'bad key' }, body }))
      .status,
    400
  )
  t.equal(didit.requests[0]?.headers['x-api-key'], SECRETS.apiKey, 'the secrets did travel')
  cli.child.kill('SIGTERM')
  await cli.exited

  const output = cli.output()
  t.match(output, /"msg":"request completed"/, 'requests were logged')
  t.match(output, /"msg":"upstream attempt"/, 'at debug level and below too')
  for (const [name, value] of Object.entries(SECRETS)) {
    const core = value.match(/SECRET-[A-Z0-9-]+/)?.[0] as string
    t.notOk(output.includes(core), `${name} absent from the output`)
  }
})
