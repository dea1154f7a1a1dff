// The decision of a session, shaped like Didit's GET /v3/session/{id}/decision/ (a few KB, not the full 45 KB).
import { idVerification } from './features.js'
import type { Session } from './sessions.js'

const IMAGE_BASE = 'https://service-didit-verification.s3.amazonaws.com/fake'

export function decisionBody(session: Session): object {
  const done = session.status !== 'Not Started'
  const at = session.created_at
  const image = (name: string): string => `${IMAGE_BASE}/${session.session_id}/${name}?X-Amz-Expires=14400`
  return {
    session_id: session.session_id,
    session_number: session.session_number,
    session_url: session.url,
    session_kind: 'user',
    status: session.status,
    workflow_id: session.workflow_id,
    features: ['ID_VERIFICATION', 'LIVENESS', 'FACE_MATCH', 'IP_ANALYSIS'],
    vendor_data: session.vendor_data,
    metadata: session.metadata,
    callback: session.callback,
    expected_details: null,
    contact_details: null,
    id_verifications: done
      ? [
          {
            node_id: 'feature_ocr',
            ...idVerification(),
            portrait_image: image('portrait.jpg'),
            front_image: image('front.jpg'),
            back_image: image('back.jpg')
          }
        ]
      : null,
    liveness_checks: done
      ? [{ node_id: 'feature_liveness', status: 'Approved', method: 'PASSIVE', score: 97.4, age_estimation: 44.8 }]
      : null,
    face_matches: done
      ? [{ node_id: 'feature_face', status: 'Approved', score: 92.1, source_image: image('portrait.jpg') }]
      : null,
    ip_analyses: done
      ? [
          {
            node_id: 'feature_ip_analysis',
            status: 'Approved',
            device_brand: 'Apple',
            device_model: 'iPhone',
            browser_family: 'Mobile Safari',
            os_family: 'iOS',
            platform: 'mobile',
            ip_country: 'Spain',
            ip_country_code: 'ES',
            ip_city: 'Madrid',
            ip_address: '192.0.2.10',
            is_vpn_or_tor: false,
            is_data_center: false,
            time_zone: 'Europe/Madrid',
            warnings: []
          }
        ]
      : null,
    aml_screenings: null,
    phone_verifications: null,
    email_verifications: null,
    poa_verifications: null,
    database_validations: null,
    reviews: [],
    created_at: at
  }
}
