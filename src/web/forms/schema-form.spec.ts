import { texts } from '../i18n';
import { Answers } from './answers';
import type { SchemaNode } from './form-data';
import { SchemaFields } from './schema-form';

const schema = {
  type: 'object',
  required: ['shopName', 'kind'],
  properties: {
    shopName: { type: 'string', minLength: 3, maxLength: 200, pattern: '^[^<>]+$', title: 'Tên cửa hàng' },
    note: { type: 'string', maxLength: 1000, title: 'Ghi chú' },
    opened: { type: 'string', format: 'date', title: 'Ngày mở' },
    capitalVnd: { type: 'integer', minimum: 0, title: 'Vốn' },
    kind: {
      type: 'integer',
      enum: [1, 2],
      title: 'Loại',
      'x-enum-titles': ['Một', 'Hai'],
      'x-enum-titles-en': ['One', 'Two'],
    },
    district: { type: 'string', enum: ['q1', 'q3', 'q5', 'q7', 'q10', 'bt'], title: 'Quận' },
    online: { type: 'boolean', title: 'Bán trực tuyến' },
    owner: {
      type: 'object',
      title: 'Chủ hộ',
      properties: { name: { type: 'string', title: 'Họ tên' }, born: { type: 'string', format: 'date' } },
    },
    goods: {
      type: 'array',
      title: 'Mặt hàng',
      maxItems: 3,
      items: { type: 'object', title: 'Mặt hàng', properties: { name: { type: 'string', title: 'Tên hàng' } } },
    },
  },
} as SchemaNode;

const render = async (el: JSX.Element) => String(await el);

describe('a form from a schema', () => {
  it('renders each kind of field with dotted names, unique ids and the constraints of the schema', async () => {
    const html = await render(
      SchemaFields({
        tx: texts('vi'),
        schema,
        raw: { shopName: 'A"b', 'goods.0.name': 'Gạo', 'goods.1.name': 'Muối', kind: '2', 'opened.year': '2020' },
        errors: [{ field: 'shopName', message: 'Tên cửa hàng phải có ít nhất 3 ký tự' }],
      }),
    );
    const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z][A-Za-z0-9_-]*$/);
    const names = new Set([...html.matchAll(/ name="([^"]+)"/g)].map((m) => m[1]));
    expect([...names]).toEqual(
      expect.arrayContaining([
        'shopName',
        'note',
        'opened.day',
        'opened.month',
        'opened.year',
        'capitalVnd',
        'kind',
        'district',
        'online',
        'owner.name',
        'owner.born.day',
        'goods.0.name',
        'goods.1.name',
        '_action',
      ]),
    );
    // What was typed is kept (escaped); the error is beside the field and described by it.
    expect(html).toContain('value="A&#34;b"');
    expect(html).toMatch(/id="shopName-error"/);
    expect(html).toMatch(/id="shopName" name="shopName" aria-describedby="shopName-error"/);
    expect(html).toMatch(/<input[^>]*minlength="3"[^>]*maxlength="200"[^>]*pattern="\^\[\^<>\]\+\$"[^>]*required/);
    // Long text: a textarea; money: numeric with the ₫ suffix; 2 choices: radios; 6: a select; yes/no radios.
    expect(html).toMatch(/<textarea[^>]*name="note"/);
    expect(html).toMatch(/<input[^>]*inputmode="numeric"[^>]*data-min="0"[^>]*name="capitalVnd"/);
    expect(html).toContain('govuk-input__suffix');
    expect(html).toMatch(/<input[^>]*type="radio"[^>]*value="2"[^>]*checked/);
    expect(html).toContain('>Hai</label>');
    expect(html).toMatch(/<select[^>]*name="district"/);
    expect(html).toMatch(/name="online"[^>]*value="true"/);
    // Nested object: a fieldset with its legend; array: one fieldset per item, remove each, add another.
    expect(html).toMatch(/<fieldset[^>]*id="owner"[^>]*>\s*<legend[^>]*>Chủ hộ<\/legend>/);
    expect(html.match(/class="govuk-fieldset portal-item"/g)).toHaveLength(2);
    expect(html).toContain('value="remove:goods.0"');
    expect(html).toContain('value="remove:goods.1"');
    expect(html).toContain('value="add:goods"');
    expect(html).toContain('data-msg-minlength="Tên cửa hàng phải có ít nhất 3 ký tự"');
  });

  it('shows one more item after "add another", and none to add at maxItems', async () => {
    const tx = texts('en');
    const more = await render(SchemaFields({ tx, schema, raw: {}, extraItems: { goods: 3 } }));
    expect(more.match(/class="govuk-fieldset portal-item"/g)).toHaveLength(3);
    expect(more).not.toContain('value="add:goods"');
    expect(more).toContain('>One</label>');
  });

  it('lays the answers out with the schema words, dates dd/mm/yyyy, money and change links', async () => {
    const html = await render(
      Answers({
        tx: texts('en'),
        schema,
        data: {
          shopName: 'Hộ Kim',
          opened: '2020-03-07',
          capitalVnd: 50000000,
          kind: 1,
          online: true,
          owner: { name: 'An' },
          goods: [{ name: 'Gạo' }, { name: 'Muối' }],
        },
        changeHref: '/dossiers/x/edit',
      }),
    );
    expect(html).toContain('07/03/2020');
    expect(html).toContain('50.000.000');
    expect(html).toContain('>One<');
    expect(html).toContain('Yes');
    expect(html).toContain('Họ tên: An');
    expect(html).toMatch(/<ol[^>]*>\s*<li>\s*<ul[^>]*>\s*<li>Tên hàng: Gạo/);
    expect(html).toContain('href="/dossiers/x/edit#capitalVnd"');
    expect(html).toContain('Not answered');
    const plain = await render(Answers({ tx: texts('vi'), schema: schema, data: {} }));
    expect(plain).not.toContain('href=');
    expect(plain).toContain('Chưa trả lời');
  });
});
