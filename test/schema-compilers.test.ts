// Fastify's schema compilers, required on first use (src/schema-compilers.ts): a route with a
// schema still has its body validated and its response serialized by them.
import Fastify from 'fastify'
import t from 'tap'
import { lazySchemaController } from '../src/schema-compilers.js'

t.test('a route with body and response schemas validates and serializes through the lazy compilers', async (t) => {
  const app = Fastify({ schemaController: lazySchemaController() })
  t.teardown(() => app.close())
  app.post(
    '/echo',
    {
      schema: {
        body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
        response: { 200: { type: 'object', properties: { n: { type: 'integer' } } } }
      }
    },
    async (request) => ({ ...(request.body as object), secret: 'dropped by the serializer' })
  )
  const bad = await app.inject({ method: 'POST', url: '/echo', payload: { n: 'x' } })
  t.equal(bad.statusCode, 400)
  t.match(bad.json(), { code: 'FST_ERR_VALIDATION', message: 'body/n must be integer' })
  const good = await app.inject({ method: 'POST', url: '/echo', payload: { n: 3 } })
  t.equal(good.statusCode, 200)
  t.equal(good.body, '{"n":3}')
})
