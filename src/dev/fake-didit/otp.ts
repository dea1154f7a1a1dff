// Email and phone one-time codes. A repeated send within the resend window answers "Retry" with the same
// request_id (didit-api.md, idempotency); a check passes for any code once a send happened.
import { randomUUID } from 'node:crypto'
import { badRequest, readJson } from './input.js'
import type { RecordedRequest, Reply } from './types.js'

/** Didit's resend window for email/phone send. */
const RESEND_WINDOW_MS = 5 * 60_000

export type Channel = 'email' | 'phone'
const FIELD: Record<Channel, string> = { email: 'email', phone: 'phone_number' }

export class OtpStore {
  #sent = new Map<string, { requestId: string; sentAt: number }>()

  send(channel: Channel, request: RecordedRequest): Reply {
    const input = readJson(request)
    if (!input.ok) return input.reply
    const target = input.value[FIELD[channel]]
    if (typeof target !== 'string' || target === '') return required(channel)
    const key = `${channel}:${target}`
    const previous = this.#sent.get(key)
    const retry = previous !== undefined && request.receivedAt - previous.sentAt < RESEND_WINDOW_MS
    const requestId = retry ? previous.requestId : randomUUID()
    if (!retry) this.#sent.set(key, { requestId, sentAt: request.receivedAt })
    return {
      status: 200,
      body: {
        request_id: requestId,
        status: retry ? 'Retry' : 'Success',
        reason: retry ? 'A code was sent recently; wait before asking for another.' : null,
        vendor_data: input.value.vendor_data ?? null,
        metadata: input.value.metadata ?? null
      }
    }
  }

  check(channel: Channel, request: RecordedRequest): Reply {
    const input = readJson(request)
    if (!input.ok) return input.reply
    const target = input.value[FIELD[channel]]
    if (typeof target !== 'string' || target === '') return required(channel)
    const sent = this.#sent.get(`${channel}:${target}`)
    if (sent === undefined)
      return {
        status: 200,
        body: { request_id: randomUUID(), status: 'Expired or Not Found', message: 'No pending code for this target.' }
      }
    this.#sent.delete(`${channel}:${target}`)
    return { status: 200, body: { request_id: sent.requestId, status: 'Approved', message: 'The code is valid.' } }
  }
}

function required(channel: Channel): Reply {
  return badRequest({ [FIELD[channel]]: ['This field is required.'] })
}
