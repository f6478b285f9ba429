import { checkFormSchema, validateFormData } from '../../procedures/form-schema';
import { schemaError, schemaHint, schemaLabel } from './schema-text';

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
});
