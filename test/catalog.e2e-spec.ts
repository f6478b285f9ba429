import { createTestApp, TestApp } from './support/app';
import { DEMO } from './support/factories';

describe('procedure catalog (public)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('lists the published demo procedures with what a citizen needs to file', async () => {
    const res = await t.http.get('/api/v1/procedures').expect(200);
    const codes = res.body.map((p: { code: string }) => p.code);
    expect(codes).toEqual(expect.arrayContaining([DEMO.birthExtract, DEMO.householdBusiness, DEMO.judicialRecord]));
    const judicial = res.body.find((p: { code: string }) => p.code === DEMO.judicialRecord);
    expect(judicial).toMatchObject({
      agencyCode: DEMO.agencies.sotuphap,
      level: 'full',
      processingDays: 10,
      deliveryOptions: ['online', 'post'],
      fees: [{ kind: 'fee', amount: 200000 }],
      feeTiming: 'before_receipt',
    });
    expect(judicial.formSchema.required).toContain('purpose');
    expect(judicial.requiredDocuments).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: 'id_card', required: true })]),
    );
  });

  it('answers one procedure by code, and 404 problem+json for an unknown one', async () => {
    await t.http.get(`/api/v1/procedures/${DEMO.birthExtract}`).expect(200);
    const res = await t.http.get('/api/v1/procedures/NO-SUCH').expect(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, title: 'Not Found' });
  });

  it('answers an unknown route like an unknown id', async () => {
    const a = await t.http.get('/api/v1/no-such-route').expect(404);
    const b = await t.http.get('/api/v1/procedures/NO-SUCH').expect(404);
    expect(a.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(a.body.type).toBe(b.body.type);
  });

  it('serves the OpenAPI document', async () => {
    const res = await t.http.get('/docs/json').expect(200);
    expect(res.body.paths['/api/v1/applications/{id}/submit']).toBeDefined();
  });
});
