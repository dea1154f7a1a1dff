// Standalone endpoints (all POST): read JSON or multipart as Didit does, answer 200 with the feature object.
import { randomUUID } from 'node:crypto'
import * as feature from './features.js'
import { isMultipart, MB, type Parsed, readForm, readJson } from './input.js'
import type { RecordedRequest, Reply } from './types.js'

type Input = Record<string, unknown>

interface Standalone {
  /** Key of the feature object in the response. */
  key: string
  /** json, multipart, or either (database-validation). */
  takes: 'json' | 'multipart' | 'either'
  /** Per-file size limits, from didit-api.md (document-ai is inferred). */
  files?: Record<string, number>
  required?: string[]
  build: (input: Input) => object
}

const FACE_LIMIT = 5 * MB

export const STANDALONE: Record<string, Standalone> = {
  '/v3/id-verification/': {
    key: 'id_verification',
    takes: 'multipart',
    files: { front_image: 10 * MB, back_image: 10 * MB },
    required: ['front_image'],
    build: feature.idVerification
  },
  '/v3/poa/': {
    key: 'poa',
    takes: 'multipart',
    files: { document: 15 * MB },
    required: ['document'],
    build: feature.poa
  },
  '/v3/database-validation/': {
    key: 'database_validation',
    takes: 'either',
    files: { selfie: 2 * MB },
    build: feature.databaseValidation
  },
  '/v3/document-ai/': {
    key: 'document_ai',
    takes: 'multipart',
    files: { document: 15 * MB },
    required: ['document'],
    build: feature.documentAi
  },
  '/v3/passive-liveness/': face('liveness', ['user_image'], feature.liveness),
  '/v3/face-match/': face('face_match', ['user_image', 'ref_image'], feature.faceMatch),
  '/v3/face-search/': face('face_search', ['user_image'], feature.faceSearch),
  '/v3/age-estimation/': face('age_estimation', ['user_image'], feature.ageEstimation),
  '/v3/aml/': { key: 'aml', takes: 'json', build: feature.aml },
  '/v3/kyb/search/': { key: 'kyb_search', takes: 'json', build: feature.kybSearch },
  '/v3/kyb/select/': { key: 'kyb', takes: 'json', build: feature.kybSelect },
  '/v3/wallet-screening/': { key: 'wallet_screening', takes: 'json', build: feature.walletScreening }
}

function face(key: string, images: string[], build: () => object): Standalone {
  const files = Object.fromEntries(images.map((name) => [name, FACE_LIMIT]))
  return { key, takes: 'multipart', files, required: images, build }
}

export function standalone(endpoint: Standalone, request: RecordedRequest): Reply {
  const input = readInput(endpoint, request)
  if (!input.ok) return input.reply
  return {
    status: 200,
    body: {
      request_id: randomUUID(),
      [endpoint.key]: endpoint.build(input.value),
      vendor_data: input.value.vendor_data ?? null,
      metadata: input.value.metadata ?? null,
      created_at: new Date(request.receivedAt).toISOString()
    }
  }
}

function readInput(endpoint: Standalone, request: RecordedRequest): Parsed<Input> {
  const multipart = endpoint.takes === 'multipart' || (endpoint.takes === 'either' && isMultipart(request))
  if (!multipart) return readJson(request)
  const form = readForm(request, endpoint.files ?? {}, endpoint.required ?? [])
  return form.ok ? { ok: true, value: form.value.fields } : form
}
