// Request bodies as Didit (a Django REST Framework service) reads them, with its DRF-style error bodies.
import { multipartBoundary, type Part, parseMultipart } from './multipart.js'
import type { RecordedRequest, Reply } from './types.js'

export type Parsed<T> = { ok: true; value: T } | { ok: false; reply: Reply }

export interface Form {
  fields: Record<string, unknown>
  files: Part[]
}

export const MB = 1024 * 1024

export const notFound = (): Reply => ({ status: 404, body: { detail: 'Not found.' } })
export const badRequest = (body: object): Reply => ({ status: 400, body })

/** A JSON object body; an empty body reads as {}. */
export function readJson(request: RecordedRequest): Parsed<Record<string, unknown>> {
  if (request.body.length === 0) return { ok: true, value: {} }
  const type = request.headers['content-type'] ?? ''
  if (!/^application\/(.+\+)?json\s*(;|$)/i.test(type))
    return { ok: false, reply: { status: 415, body: { detail: `Unsupported media type "${type}" in request.` } } }
  try {
    const value: unknown = JSON.parse(request.body.toString('utf8'))
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return { ok: true, value: value as Record<string, unknown> }
    return { ok: false, reply: badRequest({ non_field_errors: ['Invalid data. Expected a dictionary.'] }) }
  } catch (error) {
    return { ok: false, reply: badRequest({ detail: `JSON parse error - ${(error as Error).message}` }) }
  }
}

/**
 * A multipart/form-data body whose file parts stay within `limits` (bytes per field name) and which
 * has every `required` file. Text fields are kept as strings, except metadata, which Didit takes as JSON.
 */
export function readForm(request: RecordedRequest, limits: Record<string, number>, required: string[]): Parsed<Form> {
  const type = request.headers['content-type']
  const boundary = multipartBoundary(type)
  if (boundary === undefined)
    return { ok: false, reply: badRequest({ detail: `Expected multipart/form-data, got "${type ?? ''}".` }) }
  const parts = parseMultipart(request.body, boundary)
  if (parts === undefined)
    return { ok: false, reply: badRequest({ detail: 'Multipart form parse error - Invalid boundary in multipart.' }) }

  const errors: Record<string, string[]> = {}
  const form: Form = { fields: {}, files: [] }
  for (const part of parts) {
    const limit = limits[part.name]
    if (limit !== undefined && part.filename === undefined)
      errors[part.name] = ['The submitted data was not a file. Check the encoding type on the form.']
    else if (limit !== undefined && part.data.length > limit)
      errors[part.name] = [`File too large. Maximum size is ${limit / MB} MB.`]
    else if (part.filename !== undefined) form.files.push(part)
    else form.fields[part.name] = textField(part)
  }
  for (const name of required) if (!parts.some((part) => part.name === name)) errors[name] = ['No file was submitted.']
  return Object.keys(errors).length > 0 ? { ok: false, reply: badRequest(errors) } : { ok: true, value: form }
}

function textField(part: Part): unknown {
  const text = part.data.toString('utf8')
  if (part.name !== 'metadata') return text
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** True when the request carries a multipart body, for endpoints that take JSON or multipart. */
export function isMultipart(request: RecordedRequest): boolean {
  return multipartBoundary(request.headers['content-type']) !== undefined
}
