// PDF-looking bodies: a small one by default, or exactly `size` bytes produced lazily for large-response tests.
const HEAD = Buffer.from('%PDF-1.7\n%\xE2\xE3\xCF\xD3\n', 'latin1')
const TAIL = Buffer.from('\n%%EOF\n')
/** Size of each streamed piece. */
const PIECE = 64 * 1024
const FILLER = Buffer.alloc(PIECE, '0 0 0 RG\n')

export function smallPdf(sessionId: string): Buffer {
  const text = `1 0 obj << /Type /Catalog /Title (Didit verification report ${sessionId}) >> endobj\n`
  return Buffer.concat([HEAD, Buffer.from(text.repeat(16)), TAIL])
}

/** Exactly `size` bytes, starting with %PDF and, when there is room, ending with %%EOF. */
export function* pdfOfSize(size: number): Iterable<Buffer> {
  const framed = size >= HEAD.length + TAIL.length
  const head = framed ? HEAD : HEAD.subarray(0, size)
  yield head
  let left = size - head.length - (framed ? TAIL.length : 0)
  while (left > 0) {
    const piece = FILLER.subarray(0, Math.min(PIECE, left))
    left -= piece.length
    yield piece
  }
  if (framed) yield TAIL
}
