import { createTestApp, TestApp } from './support/app';
import { DEMO, idem, newCitizen, Session, uploadDocument } from './support/factories';

/**
 * `POST /applications/:id/submit` with an Idempotency-Key: the key is not looked up before the transaction (the
 * first request saves that round trip), so a repeat is answered after its transaction fails and rolls back.
 */
describe('submit: the Idempotency-Key', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const api = '/api/v1';

  async function completeDraft(citizen: Session): Promise<string> {
    const res = await t.http
      .post(`${api}/applications`)
      .set(citizen.auth)
      .send({
        procedureCode: DEMO.birthExtract,
        formData: { fullName: 'Trần Thị Khoá', dateOfBirth: '1991-02-03', copies: 1 },
      });
    expect(res.status).toBe(201);
    expect((await uploadDocument(t, citizen, res.body.id, 'id_card')).status).toBe(201);
    return res.body.id as string;
  }

  const submit = (citizen: Session, id: string, key: Record<string, string>) =>
    t.http.post(`${api}/applications/${id}/submit`).set(citizen.auth).set(key);

  const sequenceOf = (code: string) => Number(code.split('-')[2]);

  it('a repeat answers as the first did; the key on another dossier is refused and writes nothing', async () => {
    const citizen = await newCitizen(t);
    const first = await completeDraft(citizen);
    const second = await completeDraft(citizen);
    const key = idem();

    const done = await submit(citizen, first, key);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ id: first, state: 'submitted' });

    // The same request again (a retry after a lost answer): the same answer, nothing moved twice.
    const again = await submit(citizen, first, key);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(done.body);
    const history = await t.http.get(`${api}/applications/${first}/history`).set(citizen.auth).expect(200);
    expect(history.body.filter((e: { action: string }) => e.action === 'submit')).toHaveLength(1);

    // The key on another, complete draft: 422, and that draft is untouched (still a draft, no code taken).
    const reused = await submit(citizen, second, key);
    expect(reused.status).toBe(422);
    expect(reused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(reused.body.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
    const untouched = await t.http.get(`${api}/applications/${second}`).set(citizen.auth).expect(200);
    expect(untouched.body).toMatchObject({ state: 'draft', code: null });

    // With a key of its own it files, with the number right after the first one's (this suite's database: no one
    // else files here): the refused attempt, rolled back, took no number.
    const filed = await submit(citizen, second, idem());
    expect(filed.status).toBe(200);
    expect(sequenceOf(filed.body.code)).toBe(sequenceOf(done.body.code) + 1);
  });

  it('a second submit of a submitted dossier with a new key is a 409, not a second filing', async () => {
    const citizen = await newCitizen(t);
    const id = await completeDraft(citizen);
    expect((await submit(citizen, id, idem())).status).toBe(200);
    const twice = await submit(citizen, id, idem());
    expect(twice.status).toBe(409);
    expect(twice.headers['content-type']).toMatch(/application\/problem\+json/);
  });
});
