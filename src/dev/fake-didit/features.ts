// Canned feature objects of the standalone endpoints, after the table in didit-api.md.
// Values are plausible, not real; every check passes ("Approved") unless a test scripts otherwise.

type Input = Record<string, unknown>

const text = (value: unknown, fallback: string): string =>
  typeof value === 'string' && value !== '' ? value : fallback

export const idVerification = () => ({
  status: 'Approved',
  document_type: 'Identity Card',
  document_number: 'CAA000000',
  personal_number: '99999999R',
  first_name: 'Carmen',
  last_name: 'Espanola Espanola',
  full_name: 'Carmen Espanola Espanola',
  date_of_birth: '1980-01-01',
  age: 45,
  expiration_date: '2031-06-02',
  date_of_issue: '2021-06-02',
  issuing_state: 'ESP',
  issuing_state_name: 'Spain',
  nationality: 'ESP',
  gender: 'F',
  address: 'Avda de Madrid 34, Madrid, Madrid',
  place_of_birth: 'Madrid',
  warnings: []
})

export const poa = () => ({
  status: 'Approved',
  document_type: 'Utility Bill',
  issuer: 'Iberdrola',
  issue_date: '2025-01-15',
  name_on_document: 'Carmen Espanola Espanola',
  poa_address: 'Avda de Madrid 34, 28001 Madrid',
  poa_formatted_address: 'Avenida de Madrid 34, 28001 Madrid, Spain',
  document_language: 'es',
  warnings: []
})

export const databaseValidation = (input: Input) => ({
  status: 'Approved',
  match_type: 'full_match',
  issuing_state: text(input.issuing_state, 'ESP'),
  validation_type: 'one_by_one',
  validations: { full_name: 'full_match', date_of_birth: 'full_match', identification_number: 'full_match' },
  warnings: []
})

export const documentAi = () => ({
  status: 'Approved',
  document_type: 'Invoice',
  extracted_fields: { issuer: 'ACME S.L.', total: '121.00', currency: 'EUR', date: '2025-01-15' },
  warnings: []
})

export const liveness = () => ({ status: 'Approved', method: 'PASSIVE', score: 97.4, warnings: [] })
export const faceMatch = () => ({ status: 'Approved', score: 92.1, warnings: [] })
export const faceSearch = () => ({ status: 'Approved', total_matches: 0, matches: [], warnings: [] })
export const ageEstimation = () => ({ status: 'Approved', method: 'PASSIVE', age_estimation: 31.6, warnings: [] })

export const aml = (input: Input) => ({
  status: 'Approved',
  total_hits: 0,
  hits: [],
  score: 0,
  screened_data: {
    full_name: text(input.full_name, 'Carmen Espanola Espanola'),
    date_of_birth: input.date_of_birth ?? null,
    nationality: input.nationality ?? null,
    document_number: input.document_number ?? null
  },
  warnings: []
})

const company = { company_id: 'kyb_esp_B00000000', name: 'ACME SOCIEDAD LIMITADA', registration_number: 'B00000000' }

export const kybSearch = (input: Input) => ({
  status: 'Approved',
  query: text(input.name, company.name),
  results: [{ ...company, country: 'ESP', company_status: 'Active' }],
  warnings: []
})

export const kybSelect = (input: Input) => ({
  status: 'Approved',
  company: { ...company, company_id: text(input.company_id, company.company_id), country: 'ESP', officers: [] },
  warnings: []
})

export const walletScreening = (input: Input) => ({
  status: 'Approved',
  address: text(input.address, '0x0000000000000000000000000000000000000000'),
  blockchain: text(input.blockchain, 'ethereum'),
  risk_score: 3,
  risk_level: 'low',
  warnings: []
})
