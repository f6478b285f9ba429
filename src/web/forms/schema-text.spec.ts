import { checkFormSchema, validateFormData } from '../../procedures/form-schema';
import { isMoney, SCHEMA_WORD_KEYWORDS, schemaEnumTitle, schemaError, schemaHint, schemaLabel } from './schema-text';

describe('a form schema in two languages', () => {
  const field = {
    type: 'string',
    title: 'Họ và tên',
    description: 'Như trên căn cước',
    'x-title-en': 'Full name',
    'x-description-en': 'As on the ID card',
    'x-error-vi': 'Nhập họ và tên',
    'x-error-en': 'Enter the full name',
  };

  it('reads the label, hint and message in the language asked for, Vietnamese by default', () => {
    expect([schemaLabel(field, 'vi', 'fullName'), schemaLabel(field, 'en', 'fullName')]).toEqual([
      'Họ và tên',
      'Full name',
    ]);
    expect([schemaHint(field, 'vi'), schemaHint(field, 'en')]).toEqual(['Như trên căn cước', 'As on the ID card']);
    expect([schemaError(field, 'vi'), schemaError(field, 'en')]).toEqual(['Nhập họ và tên', 'Enter the full name']);
    // No English: the Vietnamese words; no title: the property's name.
    expect(schemaLabel({ title: 'Số bản sao' }, 'en', 'copies')).toBe('Số bản sao');
    expect(schemaLabel({}, 'vi', 'copies')).toBe('copies');
    expect(schemaHint({}, 'en')).toBeUndefined();
  });

  it('is accepted by the strict validator, and the words do not change what is valid', () => {
    const schema = { type: 'object', properties: { fullName: field }, required: ['fullName'] };
    expect(checkFormSchema(schema)).toEqual([]);
    expect(validateFormData('schema-text-spec', schema, { fullName: 'An' }, 'full')).toEqual([]);
    expect(validateFormData('schema-text-spec', schema, {}, 'full')).toEqual([
      { field: 'formData.fullName', message: 'is required' },
    ]);
    // An unknown keyword is still refused (strict mode).
    expect(checkFormSchema({ type: 'object', 'x-unknown': 1 })).not.toEqual([]);
  });

  it('names enum values and knows money, and the validator accepts those keywords', () => {
    const type = {
      type: 'integer',
      enum: [1, 2],
      'x-enum-titles': ['Phiếu số 1', 'Phiếu số 2'],
      'x-enum-titles-en': ['Certificate no. 1'],
    };
    expect([schemaEnumTitle(type, 'vi', 2), schemaEnumTitle(type, 'en', 1), schemaEnumTitle(type, 'en', 2)]).toEqual([
      'Phiếu số 2',
      'Certificate no. 1',
      'Phiếu số 2',
    ]);
    expect(schemaEnumTitle(type, 'vi', 3)).toBe('3');
    expect([
      isMoney({ type: 'integer' }, 'capitalVnd'),
      isMoney({ type: 'integer', 'x-money': true }, 'capital'),
    ]).toEqual([true, true]);
    expect(isMoney({ type: 'integer' }, 'employees')).toBe(false);
    const schema = { type: 'object', properties: { type, capital: { type: 'integer', 'x-money': true } } };
    expect(checkFormSchema(schema)).toEqual([]);
    for (const k of SCHEMA_WORD_KEYWORDS) expect(checkFormSchema({ type: 'object', [k]: k === 'x-money' })).toEqual([]);
  });
});
