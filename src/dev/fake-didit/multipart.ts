// A minimal multipart/form-data reader (RFC 7578): enough to find each part's name, filename and size.
// It splits on the boundary and does not handle every corner of the grammar (preamble tricks, nested parts).

export interface Part {
  name: string
  filename?: string
  data: Buffer
}

/** The boundary of a multipart/form-data content type, or undefined when it is not one. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !/^multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType)
  return match?.[1] ?? match?.[2] ?? ''
}

/** The parts, or undefined when the body does not frame as multipart with this boundary. */
export function parseMultipart(body: Buffer, boundary: string): Part[] | undefined {
  const delimiter = Buffer.from(`--${boundary}`)
  let at = body.indexOf(delimiter)
  if (boundary === '' || at === -1) return undefined
  const parts: Part[] = []
  for (;;) {
    const afterDelimiter = at + delimiter.length
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') return parts
    const next = body.indexOf(delimiter, afterDelimiter)
    if (next === -1) return undefined
    const part = readPart(body.subarray(afterDelimiter, next))
    if (part === undefined) return undefined
    parts.push(part)
    at = next
  }
}

/** One part between delimiters: CRLF, headers, CRLF CRLF, data, CRLF. */
function readPart(raw: Buffer): Part | undefined {
  const headerEnd = raw.indexOf('\r\n\r\n')
  if (headerEnd === -1) return undefined
  const headers = raw.subarray(0, headerEnd).toString('latin1')
  const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers)?.[1]
  const name = disposition === undefined ? undefined : param(disposition, 'name')
  if (name === undefined) return undefined
  const start = headerEnd + 4
  const end = raw.subarray(-2).toString() === '\r\n' ? Math.max(start, raw.length - 2) : raw.length
  const filename = param(disposition ?? '', 'filename')
  const data = raw.subarray(start, end)
  return filename === undefined ? { name, data } : { name, filename, data }
}

function param(header: string, key: string): string | undefined {
  const match = new RegExp(`;\\s*${key}=(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(header)
  return match === null ? undefined : (match[1] ?? match[2])
}
