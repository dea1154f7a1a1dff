// The request fingerprint that tells a retry from a key reused with another payload (422).
// Bodies are compared byte for byte, except multipart/form-data: FormData, axios and requests pick
// a new boundary per send, so such a body is compared part by part (name, filename, media type,
// transfer encoding, content bytes, in order). Preamble and epilogue are ignored, as RFC 2046
// §5.1.1 tells receivers to, and so are parts a form parser skips (no form-data disposition).
// A body that claims multipart but does not parse (or has no part) is compared byte for byte.
import { createHash } from 'node:crypto'
import { setImmediate as yieldTurn } from 'node:timers/promises'
import { Busboy, type BusboyInstance } from '@fastify/busboy'

const MULTIPART = /^multipart\/form-data\s*(;|$)/i
/** Beyond this many parts (Didit's forms have a handful) the body is compared byte for byte: parsing stays cheap. */
const MAX_PARTS = 1000
const CHUNK = 64 * 1024

/** sha256 over method, path+query and body, each length-prefixed so that boundaries cannot collide. */
export async function fingerprint(method: string, target: string, body: Buffer, contentType?: string): Promise<string> {
  const parts = contentType !== undefined && MULTIPART.test(contentType) ? await formParts(body, contentType) : null
  if (parts === null || parts.length === 0) return digest([Buffer.from(method), Buffer.from(target), body])
  // The media type as a third field: a raw body's encoding has no field after its third.
  return digest([Buffer.from(method), Buffer.from(target), Buffer.from('multipart/form-data'), ...parts.flat()])
}

function digest(fields: readonly Buffer[]): string {
  const hash = createHash('sha256')
  for (const field of fields) hash.update(`${field.length}:`).update(field)
  return hash.digest('hex')
}

/** An absent parameter and an empty one differ. */
const optional = (value: string | undefined) => Buffer.from(value === undefined ? '-' : `+${value}`)

/** Each part as [name, filename, media type, transfer encoding, sha256 of its bytes]; null when the body does not parse. */
async function formParts(body: Buffer, contentType: string): Promise<Buffer[][] | null> {
  let parser: BusboyInstance
  try {
    // Every part as a byte stream: no charset decoding and no field-size truncation.
    parser = Busboy({
      headers: { 'content-type': contentType },
      isPartAFile: () => true,
      preservePath: true,
      limits: { parts: MAX_PARTS }
    })
  } catch {
    return null
  }
  let settled = false
  let resolve: (parts: Buffer[][] | null) => void = () => {}
  const done = new Promise<Buffer[][] | null>((r) => {
    resolve = r
  })
  const finish = (result: Buffer[][] | null) => {
    if (settled) return
    settled = true
    resolve(result)
  }
  const parts: Buffer[][] = []
  let open = 0
  let parsed = false
  // The parser may finish before the last part's stream has ended: wait for both.
  const complete = () => parsed && open === 0 && finish(parts)
  parser.on('file', (name, stream, filename, transferEncoding, mediaType) => {
    const part = [optional(name), optional(filename), Buffer.from(mediaType), Buffer.from(transferEncoding)]
    parts.push(part)
    open++
    const hash = createHash('sha256')
    stream.on('data', (chunk: Buffer) => hash.update(chunk))
    stream.once('end', () => {
      part.push(hash.digest())
      open--
      complete()
    })
    stream.once('error', () => finish(null))
  })
  parser.once('partsLimit', () => finish(null))
  parser.once('error', () => finish(null))
  parser.once('finish', () => {
    parsed = true
    complete()
  })
  await feed(parser, body, () => settled)
  if (!settled) parser.end()
  return done
}

/**
 * Writes the body in chunks, yielding to other requests between them: the boundary search costs
 * more than a hash (and one large write of many small parts is quadratic in the parser). Stops
 * as soon as the outcome is known.
 */
async function feed(parser: BusboyInstance, body: Buffer, settled: () => boolean): Promise<void> {
  for (let at = 0; at < body.length && !settled(); at += CHUNK) {
    const more = parser.write(body.subarray(at, at + CHUNK))
    if (more) await yieldTurn()
    else await new Promise((resume) => parser.once('drain', resume).once('error', resume))
  }
}
