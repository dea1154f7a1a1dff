// The decision of a session, shaped like Didit's GET /v3/session/{id}/decision/ (a few KB, not the full 45 KB).
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
            status: 'Approved',
            document_type: 'Identity Card',
            document_number: 'CAA000000',
            personal_number: '99999999R',
            portrait_image: image('portrait.jpg'),
            front_image: image('front.jpg'),
            back_image: image('back.jpg'),
            date_of_birth: '1980-01-01',
            age: 45,
            expiration_date: '2031-06-02',
            date_of_issue: '2021-06-02',
            issuing_state: 'ESP',
            issuing_state_name: 'Spain',
            first_name: 'Carmen',
            last_name: 'Espanola Espanola',
            full_name: 'Carmen Espanola Espanola',
            gender: 'F',
            address: 'Avda de Madrid 34, Madrid, Madrid',
            place_of_birth: 'Madrid',
            nationality: 'ESP',
            warnings: []
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
