import { validateFormData } from '../../procedures/form-schema';
import { texts } from '../i18n';
import {
  fieldErrors,
  fieldId,
  parseForm,
  propertyEntries,
  readDate,
  removeItem,
  type SchemaNode,
  toRaw,
} from './form-data';

const schema: SchemaNode = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'born'],
  properties: {
    name: { type: 'string', minLength: 3, maxLength: 20, title: 'Tên', 'x-title-en': 'Name' } as SchemaNode,
    born: { type: 'string', format: 'date', title: 'Ngày sinh' },
    capitalVnd: { type: 'integer', minimum: 0, title: 'Vốn' },
    rate: { type: 'number' },
    kind: { type: 'integer', enum: [1, 2], title: 'Loại' },
    married: { type: 'boolean', title: 'Đã kết hôn' },
    owner: {
      type: 'object',
      title: 'Chủ hộ',
      properties: { name: { type: 'string', title: 'Họ tên' }, age: { type: 'integer', maximum: 150 } },
    },
    items: {
      type: 'array',
      title: 'Hàng hoá',
      items: { type: 'object', properties: { name: { type: 'string', minLength: 2 }, qty: { type: 'integer' } } },
    },
  },
} as SchemaNode;

describe('reading a filing form', () => {
  it('coerces each answer to its type, drops empty answers and unknown names', () => {
    const { data, problems } = parseForm(schema, {
      name: '  Hộ Kim  ',
      'born.day': '7',
      'born.month': '3',
      'born.year': '1990',
      capitalVnd: '50.000.000',
      rate: '1,5',
      kind: '2',
      married: 'false',
      'owner.name': 'An',
      'owner.age': '',
      'items.0.name': 'Gạo',
      'items.0.qty': '10',
      'items.1.name': '',
      'items.2.qty': '3',
      other: 'ignored',
      _csrf: 'x',
    });
    expect(problems).toEqual([]);
    expect(data).toEqual({
      name: 'Hộ Kim',
      born: '1990-03-07',
      capitalVnd: 50000000,
      rate: 1.5,
      kind: 2,
      married: false,
      owner: { name: 'An' },
      items: [{ name: 'Gạo', qty: 10 }, { qty: 3 }],
    });
    expect(parseForm(schema, { name: '', 'owner.name': '' }).data).toEqual({});
  });

  it('reports what cannot be read, keeps it as typed and numbers items again', () => {
    const { data, raw, problems } = parseForm(schema, {
      capitalVnd: 'nhiều',
      rate: 'x',
      kind: '3',
      married: 'maybe',
      'born.day': '31',
      'born.month': '2',
      'born.year': '2001',
      'items.1.qty': 'mười',
    });
    expect(data).toEqual({});
    expect(problems).toEqual([
      { path: 'born', kind: 'notDate' },
      { path: 'capitalVnd', kind: 'notWhole' },
      { path: 'rate', kind: 'notNumber' },
      { path: 'kind', kind: 'choose' },
      { path: 'married', kind: 'choose' },
      { path: 'items.0.qty', kind: 'notWhole' },
    ]);
    expect(raw).toMatchObject({ capitalVnd: 'nhiều', 'born.day': '31', 'items.0.qty': 'mười' });
  });

  it('reads dates as real calendar days only', () => {
    expect(readDate('29', '2', '2024')).toBe('2024-02-29');
    expect(readDate('29', '2', '2023')).toBeNull();
    expect(readDate('1', '13', '2023')).toBeNull();
    expect(readDate('', '1', '2023')).toBeNull();
    expect(readDate('1', '1', '23')).toBeNull();
  });

  it('removes an item and prefills the inputs from saved data (the reverse of parsing)', () => {
    const raw = { 'items.0.name': 'A', 'items.1.name': 'B', 'items.2.name': 'C', name: 'x' };
    expect(removeItem(raw, 'items', 1)).toEqual({ 'items.0.name': 'A', 'items.1.name': 'C', name: 'x' });
    const data = { name: 'Hộ Kim', born: '1990-03-07', kind: 1, married: true, items: [{ name: 'Gạo', qty: 2 }] };
    const back = toRaw(schema, data);
    expect(back).toEqual({
      name: 'Hộ Kim',
      'born.day': '07',
      'born.month': '03',
      'born.year': '1990',
      kind: '1',
      married: 'true',
      'items.0.name': 'Gạo',
      'items.0.qty': '2',
    });
    expect(parseForm(schema, back).data).toEqual(data);
    expect(fieldId('items.0.name')).toBe('items-0-name');
  });
});

describe('the validator messages in the citizen words', () => {
  const check = (data: unknown, mode: 'full' | 'partial' = 'full') =>
    validateFormData('form-data-spec', schema, data, mode);

  it('one message per field, in the order of the form, from the catalogue by kind, in both languages', () => {
    const errors = check({ name: 'ab', capitalVnd: -1, owner: { age: 200 }, items: [{ name: 'x' }] });
    const vi = fieldErrors(texts('vi'), schema, errors, [{ path: 'kind', kind: 'choose' }]);
    expect(vi).toEqual([
      { field: 'name', message: 'Tên phải có ít nhất 3 ký tự' },
      { field: 'born', message: 'Nhập ngày sinh' },
      { field: 'capitalVnd', message: 'Vốn phải từ 0 trở lên' },
      { field: 'kind', message: 'Chọn loại' },
      { field: 'owner-age', message: 'age không được lớn hơn 150' },
      { field: 'items-0-name', message: 'name phải có ít nhất 2 ký tự' },
    ]);
    const en = fieldErrors(texts('en'), schema, errors);
    expect(en[0]).toEqual({ field: 'name', message: 'Name must be 3 characters or more' });
    expect(en[1]).toEqual({ field: 'born', message: 'Enter ngày sinh' });
  });

  it('uses the schema own message when it has one, and names each kind of problem', () => {
    const own = {
      type: 'object',
      required: ['a'],
      properties: { a: { type: 'string', 'x-error-vi': 'Nhập A đúng', 'x-error-en': 'Enter A properly' } },
    } as SchemaNode;
    const errors = validateFormData('form-data-spec-own', own, {}, 'full');
    expect(fieldErrors(texts('en'), own, errors)).toEqual([{ field: 'a', message: 'Enter A properly' }]);
    expect(fieldErrors(texts('vi'), own, errors)).toEqual([{ field: 'a', message: 'Nhập A đúng' }]);

    const tx = texts('en');
    const kinds = fieldErrors(tx, schema, check({ name: 'x'.repeat(21), born: 'nope', capitalVnd: 1.5, kind: 7 }));
    expect(kinds.map((k) => k.message)).toEqual([
      'Name must be 20 characters or fewer',
      'Ngày sinh must be a real date, like 27 3 1990',
      'Vốn must be a whole number, like 12',
      'Select loại',
    ]);
    // A draft is checked without `required`.
    expect(check({}, 'partial')).toEqual([]);
  });
});

describe('the order of the fields', () => {
  it('follows x-order (Postgres reorders a jsonb object), then the stored order', () => {
    const node = { type: 'object', 'x-order': ['b', 'a'], properties: { a: {}, c: {}, b: {} } } as SchemaNode;
    expect(propertyEntries(node).map(([k]) => k)).toEqual(['b', 'a', 'c']);
    expect(propertyEntries({ properties: { z: {}, y: {} } }).map(([k]) => k)).toEqual(['z', 'y']);
  });
});
