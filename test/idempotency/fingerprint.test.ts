import t from 'tap'
import { FormData, Request } from 'undici'
import { fingerprint } from '../../src/idempotency/fingerprint.js'

const TARGET = '/v3/id-verification/'

interface Part {
  name?: string
  filename?: string
  type?: string
  content: string | Buffer
}

/** A multipart/form-data body written by hand, with the given boundary. */
function multipart(boundary: string, parts: readonly Part[], extras: { preamble?: string; epilogue?: string } = {}) {
  const chunks: Buffer[] = [Buffer.from(extras.preamble ?? '')]
  for (const part of parts) {
    let disposition = 'form-data'
    if (part.name !== undefined) disposition += `; name="${part.name}"`
    if (part.filename !== undefined) disposition += `; filename="${part.filename}"`
    let head = `--${boundary}\r\nContent-Disposition: ${disposition}\r\n`
    if (part.type !== undefined) head += `Content-Type: ${part.type}\r\n`
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(part.content), Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n${extras.epilogue ?? ''}`))
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` }
}

const IMAGE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x0d, 0x0a, 0xff, 0xfe])
const PARTS: Part[] = [
  { name: 'vendor_data', content: 'user-42' },
  { name: 'front_image', filename: 'front.png', type: 'image/png', content: IMAGE },
  { name: 'back_image', filename: 'back.png', type: 'image/png', content: Buffer.from('back') }
]

const of = (body: { body: Buffer; contentType: string }) => fingerprint('POST', TARGET, body.body, body.contentType)

t.test('byte-compared bodies: the same formula as before (stored entries stay valid)', async (t) => {
  // Computed by the fingerprint of the previous release for the same input.
  const before = '30de205412381a875e32a203afb7d5501fcdf9fe4365e37c7387db2a8d0497df'
  t.equal(await fingerprint('POST', '/v2/session/?a=1', Buffer.from('{"x":1}')), before)
  t.equal(await fingerprint('POST', '/v2/session/?a=1', Buffer.from('{"x":1}'), 'application/json'), before)
})

t.test('covers method, target and body, with unambiguous boundaries', async (t) => {
  const base = await fingerprint('POST', '/v2/session/?a=1', Buffer.from('{"x":1}'))
  t.match(base, /^[0-9a-f]{64}$/)
  t.not(await fingerprint('POST', '/v2/session/?a=1', Buffer.from('{"x":2}')), base)
  t.not(await fingerprint('POST', '/v2/session/?a=1', Buffer.from('{ "x":1}')), base, 'JSON is compared byte for byte')
  t.not(await fingerprint('POST', '/v2/session/?a=2', Buffer.from('{"x":1}')), base)
  t.not(await fingerprint('PUT', '/v2/session/?a=1', Buffer.from('{"x":1}')), base)
  t.not(await fingerprint('POST', '/ab', Buffer.from('c')), await fingerprint('POST', '/a', Buffer.from('bc')))
})

t.test('multipart: the same parts under another boundary have the same fingerprint', async (t) => {
  const a = await of(multipart('XyZzy0001', PARTS))
  t.equal(await of(multipart('----formdata-other-boundary-987', PARTS)), a)
  t.equal(
    await of(multipart('b', PARTS, { preamble: 'ignored preamble\r\n', epilogue: 'ignored epilogue' })),
    a,
    'preamble and epilogue are ignored (RFC 2046)'
  )
  const quoted = multipart('q', PARTS)
  t.equal(
    await fingerprint('POST', TARGET, quoted.body, 'Multipart/Form-Data; boundary="q"'),
    a,
    'media type case and a quoted boundary'
  )
})

t.test("multipart: undici's FormData, serialised twice with two boundaries", async (t) => {
  const serialise = async () => {
    const form = new FormData()
    form.append('vendor_data', 'user-42')
    form.append('front_image', new Blob([IMAGE], { type: 'image/png' }), 'front.png')
    const request = new Request('http://127.0.0.1/', { method: 'POST', body: form })
    return { body: Buffer.from(await request.arrayBuffer()), contentType: String(request.headers.get('content-type')) }
  }
  const first = await serialise()
  const second = await serialise()
  t.not(first.contentType, second.contentType, 'FormData picked a new boundary')
  t.not(Buffer.compare(first.body, second.body), 0, 'so the bytes differ')
  t.equal(await of(second), await of(first))
})

t.test('multipart: any change to a part, or to their order, changes the fingerprint', async (t) => {
  const base = await of(multipart('one', PARTS))
  const front = PARTS[1] as Part
  const variants: Record<string, Part[]> = {
    'file bytes': [PARTS[0] as Part, { ...front, content: Buffer.concat([IMAGE, Buffer.from([0])]) }, PARTS[2] as Part],
    'a field value': [{ name: 'vendor_data', content: 'user-43' }, front, PARTS[2] as Part],
    'a filename': [PARTS[0] as Part, { ...front, filename: 'front2.png' }, PARTS[2] as Part],
    'no filename': [PARTS[0] as Part, { ...front, filename: undefined }, PARTS[2] as Part],
    'empty filename': [PARTS[0] as Part, { ...front, filename: '' }, PARTS[2] as Part],
    'a part content type': [PARTS[0] as Part, { ...front, type: 'image/jpeg' }, PARTS[2] as Part],
    'a part name': [PARTS[0] as Part, { ...front, name: 'front' }, PARTS[2] as Part],
    'the order': [front, PARTS[0] as Part, PARTS[2] as Part],
    'one part less': [PARTS[0] as Part, front],
    'bytes moved between parts': [
      { name: 'vendor_data', content: 'user-4' },
      {
        name: 'front_image',
        filename: 'front.png',
        type: 'image/png',
        content: Buffer.concat([Buffer.from('2'), IMAGE])
      },
      PARTS[2] as Part
    ]
  }
  for (const [what, parts] of Object.entries(variants)) t.not(await of(multipart('two', parts)), base, what)
  t.not(await fingerprint('PUT', TARGET, ...args(multipart('one', PARTS))), base, 'the method')
  t.not(await fingerprint('POST', `${TARGET}?x=1`, ...args(multipart('one', PARTS))), base, 'the query')
})

const args = (body: { body: Buffer; contentType: string }) => [body.body, body.contentType] as const

t.test('multipart that does not parse is compared byte for byte', async (t) => {
  const whole = multipart('cut', PARTS)
  const raw = (body: Buffer) => fingerprint('POST', TARGET, body)
  for (const at of [0, 10, Math.floor(whole.body.length / 2), whole.body.length - 12]) {
    const cut = whole.body.subarray(0, at)
    t.equal(await fingerprint('POST', TARGET, cut, whole.contentType), await raw(cut), `cut at ${at}`)
  }
  const noBoundary = await fingerprint('POST', TARGET, whole.body, 'multipart/form-data')
  t.equal(noBoundary, await raw(whole.body), 'no boundary parameter')
  // No part at all: two different bodies must not meet at "zero parts".
  const garbage = [Buffer.from('not multipart at all'), Buffer.from('something else')]
  const [g1, g2] = await Promise.all(garbage.map((body) => fingerprint('POST', TARGET, body, whole.contentType)))
  t.equal(g1, await raw(garbage[0] as Buffer))
  t.not(g1, g2)
  const empty = Buffer.from('--cut--\r\n')
  t.equal(await fingerprint('POST', TARGET, empty, whole.contentType), await raw(empty), 'no part: byte compared')
})

t.test('a parsed multipart body never meets a byte-compared one', async (t) => {
  const body = multipart('same', PARTS)
  t.not(await of(body), await fingerprint('POST', TARGET, body.body))
  t.not(await of(body), await fingerprint('POST', TARGET, Buffer.from('multipart/form-data')))
})

t.test('more parts than the parser keeps: compared byte for byte', async (t) => {
  const many = Array.from({ length: 1001 }, (_, index) => ({ name: `f${index}`, content: 'x' }))
  const body = multipart('many', many)
  t.equal(await of(body), await fingerprint('POST', TARGET, body.body))
  const fewer = multipart('many', many.slice(0, 1000))
  t.not(await of(fewer), await fingerprint('POST', TARGET, fewer.body), 'up to the limit: parsed')
})
