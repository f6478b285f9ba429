import type { WorkflowDefinition } from '../workflow/definition';
import { VN_NATIONAL_DAYS_OFF } from '../workflow/holidays-vn';

/**
 * Demo agencies, staff, citizens and four procedures with different
 * workflows. Loaded by `seedDemo` into an empty database; the e2e tests walk
 * each procedure. Holidays: the national calendar (src/workflow/holidays-vn.ts).
 */
/** Vietnam's national days off 2026-2030 (holidays and compensatory days): the demo agencies' calendars use them. */
export const HOLIDAYS_VN: string[] = [...VN_NATIONAL_DAYS_OFF];

/** `titles`: the positions of the demo clerk and supervisor (shown in the results the supervisor approves). */
export const DEMO_AGENCIES = [
  {
    code: '000.00.01.H56',
    slug: 'bennghe',
    name: 'UBND Phường Bến Nghé',
    titles: { clerk: 'Công chức Tư pháp - Hộ tịch', supervisor: 'Phó Chủ tịch' },
  },
  {
    code: '000.00.20.H56',
    slug: 'quan1',
    name: 'UBND Quận 1',
    titles: { clerk: 'Chuyên viên', supervisor: 'Trưởng phòng Tài chính - Kế hoạch' },
  },
  {
    code: '000.00.12.H56',
    slug: 'sotuphap',
    name: 'Sở Tư pháp TP. Hồ Chí Minh',
    titles: { clerk: 'Chuyên viên', supervisor: 'Phó Giám đốc' },
  },
  // Works the verification step of the judicial record with verification (transfer between agencies).
  {
    code: '000.00.30.H56',
    slug: 'congan',
    name: 'Công an TP. Hồ Chí Minh',
    titles: { clerk: 'Cán bộ', supervisor: 'Phó Trưởng phòng' },
  },
];

export const DEMO_CITIZENS = [
  {
    email: 'an.nguyen@demo.local',
    fullName: 'Nguyễn Văn An',
    idNumber: '079090000001',
    phone: '0901000001',
    locale: 'vi',
  },
  {
    email: 'binh.tran@demo.local',
    fullName: 'Trần Thị Bình',
    idNumber: '079085000002',
    phone: '0901000002',
    locale: 'en',
  },
];

const citizenEnds = (from: string[]) => ({ key: 'withdraw', from, to: 'withdrawn', by: ['citizen'] as const });

/** Copy of a birth registration extract: no fee, online result, no supplementation. */
const birthExtract: WorkflowDefinition = {
  states: [
    { key: 'draft', start: true, editableBy: ['citizen'], label: 'Nháp' },
    { key: 'submitted', clock: 'stopped', label: 'Chờ tiếp nhận' },
    { key: 'processing', clock: 'running', label: 'Đang xử lý' },
    { key: 'completed', terminal: true, label: 'Hoàn thành' },
    { key: 'refused', terminal: true, label: 'Từ chối tiếp nhận' },
    { key: 'withdrawn', terminal: true, label: 'Đã rút' },
  ],
  actions: [
    { key: 'submit', from: ['draft'], to: 'submitted', by: ['citizen'] },
    { key: 'receive', from: ['submitted'], to: 'processing', by: ['clerk'], effects: ['startClock', 'issueReceipt'] },
    { key: 'refuse', from: ['submitted'], to: 'refused', by: ['clerk'], requires: ['comment'] },
    { key: 'complete', from: ['processing'], to: 'completed', by: ['clerk'], effects: ['issueResult'] },
    { ...citizenEnds(['submitted']), by: ['citizen'] },
  ],
};

/** Household business registration: supplementation round, approval, the charge paid after approval, stop by a supervisor. */
const householdBusiness: WorkflowDefinition = {
  states: [
    { key: 'draft', start: true, editableBy: ['citizen'], label: 'Nháp' },
    { key: 'submitted', clock: 'stopped', label: 'Chờ tiếp nhận' },
    { key: 'processing', clock: 'running', label: 'Đang xử lý' },
    {
      key: 'supplement_requested',
      clock: 'paused',
      editableBy: ['citizen'],
      label: 'Chờ bổ sung',
      resubmit: 'resubmit',
    },
    // After approval: waiting for the citizen's charge (paused), then for the agency to return the result (running).
    { key: 'awaiting_payment', clock: 'paused', label: 'Chờ nộp lệ phí' },
    { key: 'approved', clock: 'running', label: 'Đã phê duyệt' },
    { key: 'completed', terminal: true, label: 'Đã trả kết quả' },
    { key: 'refused', terminal: true, label: 'Từ chối tiếp nhận' },
    { key: 'rejected', terminal: true, label: 'Không giải quyết' },
    { key: 'stopped', terminal: true, label: 'Dừng xử lý' },
    { key: 'withdrawn', terminal: true, label: 'Đã rút' },
  ],
  actions: [
    { key: 'submit', from: ['draft'], to: 'submitted', by: ['citizen'] },
    { key: 'receive', from: ['submitted'], to: 'processing', by: ['clerk'], effects: ['startClock', 'issueReceipt'] },
    { key: 'refuse', from: ['submitted'], to: 'refused', by: ['clerk'], requires: ['comment'] },
    {
      key: 'request_supplement',
      from: ['processing'],
      to: 'supplement_requested',
      by: ['clerk'],
      requires: ['comment'],
    },
    { key: 'resubmit', from: ['supplement_requested'], to: 'processing', by: ['citizen'] },
    { key: 'approve', from: ['processing'], to: 'awaiting_payment', by: ['clerk'], effects: ['requirePayment'] },
    {
      key: 'payment_confirmed',
      from: ['awaiting_payment'],
      to: 'approved',
      by: ['system'],
      trigger: 'payment.succeeded',
    },
    { key: 'reject', from: ['processing'], to: 'rejected', by: ['clerk'], requires: ['comment'] },
    {
      key: 'stop',
      from: ['processing', 'supplement_requested'],
      to: 'stopped',
      by: ['supervisor'],
      requires: ['comment'],
    },
    { key: 'return_result', from: ['approved'], to: 'completed', by: ['clerk'], effects: ['issueResult'] },
    citizenEnds(['submitted', 'processing', 'supplement_requested', 'awaiting_payment']) as never,
  ],
};

/**
 * Judicial record certificate: the fee (and the postal fee, if the result goes by post) is paid
 * online right after submission, before receipt; supplementation possible before or after
 * receipt; approval by the supervisor; refused, rejected or withdrawn after paying: refunded.
 */
const judicialRecord: WorkflowDefinition = {
  states: [
    { key: 'draft', start: true, editableBy: ['citizen'], label: 'Nháp' },
    { key: 'awaiting_payment', clock: 'stopped', label: 'Chờ thanh toán phí' },
    { key: 'submitted', clock: 'stopped', label: 'Chờ tiếp nhận' },
    {
      key: 'incomplete',
      clock: 'stopped',
      editableBy: ['citizen'],
      label: 'Chờ hoàn thiện trước tiếp nhận',
      resubmit: 'complete_filing',
    },
    { key: 'processing', clock: 'running', label: 'Đang xác minh' },
    {
      key: 'supplement_requested',
      clock: 'paused',
      editableBy: ['citizen'],
      label: 'Chờ bổ sung',
      resubmit: 'resubmit',
    },
    // Signed, the result not yet ready for return: the clock keeps running until issue_result.
    { key: 'approved', clock: 'running', label: 'Đã ký phiếu' },
    { key: 'result_issued', clock: 'stopped', label: 'Đã trả kết quả (chờ nhận)' },
    { key: 'returned_to_agency', clock: 'stopped', label: 'Bưu điện hoàn trả' },
    { key: 'completed', terminal: true, label: 'Hoàn thành' },
    { key: 'refused', terminal: true, label: 'Từ chối tiếp nhận' },
    { key: 'rejected', terminal: true, label: 'Không cấp' },
    { key: 'withdrawn', terminal: true, label: 'Đã rút' },
  ],
  actions: [
    { key: 'submit', from: ['draft'], to: 'awaiting_payment', by: ['citizen'], effects: ['requirePayment'] },
    {
      key: 'payment_confirmed',
      from: ['awaiting_payment'],
      to: 'submitted',
      by: ['system'],
      trigger: 'payment.succeeded',
    },
    { key: 'ask_to_complete', from: ['submitted'], to: 'incomplete', by: ['clerk'], requires: ['comment'] },
    { key: 'complete_filing', from: ['incomplete'], to: 'submitted', by: ['citizen'] },
    { key: 'receive', from: ['submitted'], to: 'processing', by: ['clerk'], effects: ['startClock', 'issueReceipt'] },
    {
      key: 'refuse',
      from: ['submitted', 'incomplete'],
      to: 'refused',
      by: ['clerk'],
      requires: ['comment'],
      effects: ['refund'],
    },
    {
      key: 'request_supplement',
      from: ['processing'],
      to: 'supplement_requested',
      by: ['clerk'],
      requires: ['comment'],
    },
    { key: 'resubmit', from: ['supplement_requested'], to: 'processing', by: ['citizen'] },
    // The supervisor's finding ("Án tích") is written into the certificate: `data.finding` (or the comment).
    { key: 'approve', from: ['processing'], to: 'approved', by: ['supervisor'], requires: ['finding'] },
    {
      key: 'reject',
      from: ['processing'],
      to: 'rejected',
      by: ['supervisor'],
      requires: ['comment'],
      effects: ['refund'],
    },
    // The result is issued online (download) and, when the citizen chose it, handed to the post.
    {
      key: 'issue_result',
      from: ['approved'],
      to: 'result_issued',
      by: ['clerk'],
      effects: ['issueResult', 'dispatchByPost'],
    },
    {
      key: 'parcel_delivered',
      from: ['result_issued'],
      to: 'completed',
      by: ['system'],
      trigger: 'shipment.delivered',
    },
    {
      key: 'parcel_returned',
      from: ['result_issued'],
      to: 'returned_to_agency',
      by: ['system'],
      trigger: 'shipment.returned',
    },
    // Online delivery, or a returned parcel collected at the counter: the clerk closes the dossier.
    { key: 'hand_over', from: ['result_issued', 'returned_to_agency'], to: 'completed', by: ['clerk'] },
    { ...citizenEnds(['awaiting_payment', 'submitted', 'incomplete', 'processing']), effects: ['refund'] } as never,
  ],
};

/**
 * The judicial record with a verification by the police (transfer between agencies, liên thông): once
 * received, the Department of Justice hands the dossier to the city police (`agency`) for 40 working hours
 * (`allotmentHours`); the police's clerk sends it back with the verification's outcome; the Department decides.
 */
const judicialRecordWithVerification: WorkflowDefinition = {
  states: [
    ...judicialRecord.states,
    {
      key: 'police_verification',
      clock: 'running',
      label: 'Công an xác minh',
      agency: '000.00.30.H56',
      allotmentHours: 40,
    },
  ],
  actions: [
    ...judicialRecord.actions,
    { key: 'request_verification', from: ['processing'], to: 'police_verification', by: ['clerk'] },
    {
      key: 'return_verification',
      from: ['police_verification'],
      to: 'processing',
      by: ['clerk'],
      requires: ['comment'],
    },
  ],
};

const person = {
  fullName: {
    type: 'string',
    minLength: 1,
    maxLength: 200,
    title: 'Họ và tên',
    'x-title-en': 'Full name',
    description: 'Như trên căn cước công dân',
    'x-description-en': 'As on the citizen identity card',
  },
  dateOfBirth: { type: 'string', format: 'date', title: 'Ngày sinh', 'x-title-en': 'Date of birth' },
};

const BASE_PROCEDURES = [
  {
    code: '1.004884',
    name: 'Cấp bản sao Trích lục khai sinh',
    agencyCode: '000.00.01.H56',
    level: 'full',
    version: {
      formSchema: {
        type: 'object',
        additionalProperties: false,
        required: ['fullName', 'dateOfBirth', 'copies'],
        'x-order': ['fullName', 'dateOfBirth', 'registrationNumber', 'copies'],
        properties: {
          ...person,
          registrationNumber: {
            type: 'string',
            maxLength: 50,
            title: 'Số đăng ký khai sinh',
            'x-title-en': 'Birth registration number',
            description: 'Nếu bạn biết; in trên giấy khai sinh',
            'x-description-en': 'If you know it; printed on the birth certificate',
          },
          copies: { type: 'integer', minimum: 1, maximum: 10, title: 'Số bản sao', 'x-title-en': 'Number of copies' },
        },
      },
      requiredDocuments: [{ key: 'id_card', name: 'Căn cước công dân', required: true }],
      fees: [],
      feeTiming: 'exempt',
      processingDays: 1,
      deliveryOptions: ['online'],
      postalFee: 0,
      resultTemplate: {
        title: 'Trích lục khai sinh (bản sao)',
        paragraphs: [
          'Họ và tên: {{formData.fullName}}',
          'Ngày sinh: {{formData.dateOfBirth}}',
          'Số đăng ký khai sinh: {{formData.registrationNumber}}',
          'Số bản sao: {{formData.copies}}',
        ],
        signerTitle: 'TM. Ủy ban nhân dân\n{{approver.title}}',
      },
      workflow: birthExtract,
    },
  },
  {
    code: '2.000720',
    name: 'Đăng ký thành lập hộ kinh doanh',
    agencyCode: '000.00.20.H56',
    level: 'full',
    version: {
      formSchema: {
        type: 'object',
        additionalProperties: false,
        required: ['businessName', 'ownerName', 'address', 'businessLine', 'capitalVnd'],
        'x-order': ['businessName', 'ownerName', 'address', 'businessLine', 'capitalVnd', 'employees'],
        properties: {
          businessName: {
            type: 'string',
            minLength: 3,
            maxLength: 200,
            title: 'Tên hộ kinh doanh',
            'x-title-en': 'Business name',
          },
          ownerName: { type: 'string', minLength: 1, maxLength: 200, title: 'Chủ hộ', 'x-title-en': 'Owner' },
          address: {
            type: 'string',
            minLength: 5,
            maxLength: 500,
            title: 'Địa điểm kinh doanh',
            'x-title-en': 'Business address',
            description: 'Số nhà, đường, phường/xã',
            'x-description-en': 'House number, street, ward',
          },
          businessLine: {
            type: 'string',
            minLength: 2,
            maxLength: 500,
            title: 'Ngành nghề',
            'x-title-en': 'Line of business',
          },
          capitalVnd: {
            type: 'integer',
            minimum: 0,
            title: 'Vốn kinh doanh (VND)',
            'x-title-en': 'Capital (VND)',
            'x-money': true,
          },
          employees: {
            type: 'integer',
            minimum: 0,
            maximum: 10000,
            title: 'Số lao động',
            'x-title-en': 'Number of employees',
          },
        },
      },
      requiredDocuments: [
        { key: 'id_card', name: 'Căn cước công dân của chủ hộ', required: true },
        { key: 'premises_proof', name: 'Giấy tờ chứng minh địa điểm kinh doanh', required: true },
      ],
      fees: [{ kind: 'charge', name: 'Lệ phí đăng ký hộ kinh doanh', amount: 100000 }],
      feeTiming: 'after_approval',
      processingDays: 3,
      deliveryOptions: ['online'],
      postalFee: 0,
      resultTemplate: {
        title: 'Giấy chứng nhận đăng ký hộ kinh doanh',
        paragraphs: [
          'Tên hộ kinh doanh: {{formData.businessName}}',
          'Chủ hộ: {{formData.ownerName}}',
          'Địa điểm kinh doanh: {{formData.address}}',
          'Ngành, nghề kinh doanh: {{formData.businessLine}}',
          'Vốn kinh doanh: {{formData.capitalVnd}} đồng',
        ],
        signerTitle: '{{approver.title}}',
      },
      workflow: householdBusiness,
    },
  },
  {
    code: '2.001417',
    name: 'Cấp Phiếu lý lịch tư pháp',
    agencyCode: '000.00.12.H56',
    level: 'full',
    version: {
      formSchema: {
        type: 'object',
        additionalProperties: false,
        required: ['fullName', 'dateOfBirth', 'placeOfBirth', 'certificateType', 'purpose'],
        'x-order': ['fullName', 'dateOfBirth', 'placeOfBirth', 'certificateType', 'purpose', 'extraCopies'],
        properties: {
          ...person,
          placeOfBirth: {
            type: 'string',
            minLength: 2,
            maxLength: 200,
            title: 'Nơi sinh',
            'x-title-en': 'Place of birth',
            description: 'Tỉnh, thành phố',
            'x-description-en': 'Province or city',
          },
          certificateType: {
            type: 'integer',
            enum: [1, 2],
            title: 'Loại phiếu',
            'x-title-en': 'Certificate type',
            'x-enum-titles': ['Phiếu số 1', 'Phiếu số 2 (đầy đủ án tích)'],
            'x-enum-titles-en': ['Certificate no. 1', 'Certificate no. 2 (full criminal record)'],
          },
          purpose: {
            type: 'string',
            minLength: 2,
            maxLength: 500,
            title: 'Mục đích sử dụng',
            'x-title-en': 'Purpose',
          },
          extraCopies: {
            type: 'integer',
            minimum: 0,
            maximum: 5,
            title: 'Số bản cấp thêm',
            'x-title-en': 'Extra copies',
          },
        },
      },
      requiredDocuments: [
        { key: 'id_card', name: 'Căn cước công dân', required: true },
        { key: 'residence_proof', name: 'Giấy tờ cư trú', required: false },
      ],
      fees: [{ kind: 'fee', name: 'Phí cung cấp thông tin lý lịch tư pháp', amount: 200000 }],
      feeTiming: 'before_receipt',
      processingDays: 10,
      deliveryOptions: ['online', 'post'],
      postalFee: 30000,
      resultTemplate: {
        title: 'Phiếu lý lịch tư pháp số {{formData.certificateType}}',
        paragraphs: [
          'Họ và tên: {{formData.fullName}}',
          'Ngày, tháng, năm sinh: {{formData.dateOfBirth}}',
          'Nơi sinh: {{formData.placeOfBirth}}',
          'Mục đích sử dụng: {{formData.purpose}}',
          'Án tích: {{approval.finding}}',
        ],
        signerTitle: 'KT. Giám đốc\n{{approver.title}}',
      },
      workflow: judicialRecord,
    },
  },
];

const judicialRecordProcedure = BASE_PROCEDURES.find((p) => p.code === '2.001417')!;

export const DEMO_PROCEDURES = [
  ...BASE_PROCEDURES,
  {
    ...judicialRecordProcedure,
    code: '2.001417-LT',
    name: 'Cấp Phiếu lý lịch tư pháp (có xác minh của Công an)',
    version: { ...judicialRecordProcedure.version, workflow: judicialRecordWithVerification },
  },
];
