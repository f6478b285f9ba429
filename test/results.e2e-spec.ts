import { createHash } from 'node:crypto';
import { DeadlinesService } from '../src/applications/deadlines.service';
import { createTestApp, TestApp } from './support/app';
import {
  binary,
  DEMO,
  idem,
  newCitizen,
  payInSandbox,
  plainPdf,
  Session,
  signedPdf,
  staff,
  uploadDocument,
  workingDaysAfter,
} from './support/factories';

const api = '/api/v1';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Results online and by post, verification, deadlines, apologies and ratings. */
describe('results and delivery', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  async function act(who: Session, id: string, action: string, body: object = {}) {
    const res = await t.http.post(`${api}/applications/${id}/actions/${action}`).set(who.auth).send(body);
    if (res.status !== 200) throw new Error(`${action}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** A judicial-record dossier paid, received and approved: ready for its result. */
  async function approvedJudicialRecord(delivery?: object) {
    const citizen = await newCitizen(t);
    const clerk = await staff(t, 'clerk', 'sotuphap');
    const supervisor = await staff(t, 'supervisor', 'sotuphap');
    const d = await t.http
      .post(`${api}/applications`)
      .set(citizen.auth)
      .send({
        procedureCode: DEMO.judicialRecord,
        formData: {
          fullName: 'Đỗ Văn Hùng',
          dateOfBirth: '1985-07-20',
          placeOfBirth: 'Hà Nội',
          certificateType: 1,
          purpose: 'Bổ sung hồ sơ xin việc',
        },
        ...(delivery ? { delivery } : {}),
      })
      .expect(201);
    await uploadDocument(t, citizen, d.body.id, 'id_card').expect(201);
    await t.http.post(`${api}/applications/${d.body.id}/submit`).set(citizen.auth).set(idem()).expect(200);
    await payInSandbox(t, citizen, d.body.id);
    await t.drain();
    await act(clerk, d.body.id, 'receive');
    await act(supervisor, d.body.id, 'approve', { data: { finding: 'Không có án tích.' } });
    return { citizen, clerk, supervisor, id: d.body.id as string };
  }

  /** A birth-extract dossier submitted by a new citizen at Bến Nghé, with that agency's clerk. */
  async function submittedBirthExtract() {
    const citizen = await newCitizen(t);
    const clerk = await staff(t, 'clerk', 'bennghe');
    const d = await t.http
      .post(`${api}/applications`)
      .set(citizen.auth)
      .send({
        procedureCode: DEMO.birthExtract,
        formData: { fullName: 'Võ Thị Sáu', dateOfBirth: '1995-03-08', copies: 1 },
      })
      .expect(201);
    await uploadDocument(t, citizen, d.body.id, 'id_card');
    await t.http.post(`${api}/applications/${d.body.id}/submit`).set(citizen.auth).set(idem()).expect(200);
    return { citizen, clerk, d };
  }

  const post = {
    method: 'post',
    recipient: 'Đỗ Văn Hùng',
    address: '45 Trần Hưng Đạo, Quận 5, TP. Hồ Chí Minh',
    phone: '0912345678',
  };

  it('an uploaded signed result is issued, downloaded by the owner (recorded), and verifiable; an altered copy is not', async () => {
    const { citizen, clerk, id } = await approvedJudicialRecord();
    const signed = await signedPdf(t, 'sotuphap');
    // Only a signed PDF, only by the agency's staff.
    const png = await t.http
      .post(`${api}/applications/${id}/result`)
      .set(clerk.auth)
      .attach('file', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]), 'r.pdf');
    expect(png.status).toBe(415);
    const unsigned = await t.http
      .post(`${api}/applications/${id}/result`)
      .set(clerk.auth)
      .attach('file', await plainPdf(), 'r.pdf')
      .expect(422);
    expect(unsigned.body).toMatchObject({ status: 422, detail: 'The file has no signature.' });
    expect(
      (await t.http.post(`${api}/applications/${id}/result`).set(citizen.auth).attach('file', signed, 'r.pdf')).status,
    ).toBe(403);
    const staged = await t.http
      .post(`${api}/applications/${id}/result`)
      .set(clerk.auth)
      .attach('file', signed, 'phieu-ltp.pdf')
      .expect(201);
    expect(staged.body).toMatchObject({ status: 'staged', sha256: sha256(signed) });

    const issued = await act(clerk, id, 'issue_result', { comment: 'Không có án tích' });
    expect(issued.state).toBe('result_issued');
    expect(issued.result).toMatchObject({
      sha256: sha256(signed),
      verificationCode: expect.stringMatching(/^[A-Z2-9]{10}$/),
    });
    await t.drain();

    const file = await t.http
      .get(`${api}/applications/${id}/result`)
      .set(citizen.auth)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(file.headers['content-type']).toBe('application/pdf');
    expect(sha256(file.body)).toBe(sha256(signed));
    const [{ n }] = await t.db.query(
      `SELECT count(*)::int AS n FROM result_downloads rd JOIN dossier_results r ON r.id = rd.result_id WHERE r.dossier_id = $1 AND rd.via = 'owner'`,
      [id],
    );
    expect(n).toBe(1);

    const code = issued.result.verificationCode;
    const record = await t.http.get(`${api}/verify/${code}`).expect(200);
    expect(record.body).toEqual({
      valid: true,
      sha256: sha256(signed),
      issuedAt: issued.result.issuedAt,
      agencyName: 'Sở Tư pháp TP. Hồ Chí Minh',
      procedureName: 'Cấp Phiếu lý lịch tư pháp',
      signer: {
        organization: 'Sở Tư pháp TP. Hồ Chí Minh',
        name: 'Sở Tư pháp TP. Hồ Chí Minh',
        signedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    });
    expect(JSON.stringify(record.body)).not.toMatch(/Hùng|0912|@/);
    expect(
      (
        await t.http
          .get(`${api}/verify/${code}`)
          .query({ sha256: sha256(signed) })
          .expect(200)
      ).body.valid,
    ).toBe(true);
    const altered = Buffer.from(signed);
    altered[altered.length - 3] ^= 1;
    expect(
      (
        await t.http
          .get(`${api}/verify/${code}`)
          .query({ sha256: sha256(altered) })
          .expect(200)
      ).body.valid,
    ).toBe(false);
    expect((await t.http.post(`${api}/verify/${code}`).attach('file', signed, 'x.pdf').expect(200)).body.valid).toBe(
      true,
    );
    expect((await t.http.post(`${api}/verify/${code}`).attach('file', altered, 'x.pdf').expect(200)).body.valid).toBe(
      false,
    );
    expect((await t.http.get(`${api}/verify/ZZZZZZZZZZ`)).status).toBe(404);
    expect((await t.http.get(`${api}/verify/${code}`).query({ sha256: 'nothex' })).status).toBe(400);

    // Another citizen cannot download it; a second result cannot be staged.
    const stranger = await newCitizen(t);
    expect((await t.http.get(`${api}/applications/${id}/result`).set(stranger.auth)).status).toBe(404);
    expect(
      (await t.http.post(`${api}/applications/${id}/result`).set(clerk.auth).attach('file', signed, 'again.pdf'))
        .status,
    ).toBe(409);
  });

  it('a generated result carries its verification code and QR; a signed link downloads it without signing in until it expires', async () => {
    const { citizen, clerk, id } = await approvedJudicialRecord();
    const issued = await act(clerk, id, 'issue_result');
    expect(issued.result.sha256).toBeNull(); // rendered by a worker
    await t.drain();
    const view = await t.http.get(`${api}/applications/${id}`).set(citizen.auth).expect(200);
    expect(view.body.result.sha256).toMatch(/^[0-9a-f]{64}$/);
    const file = await t.http
      .get(`${api}/applications/${id}/result`)
      .set(citizen.auth)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(sha256(file.body)).toBe(view.body.result.sha256);
    expect(file.body.toString('latin1')).toContain('/Subtype /Image'); // the QR code
    expect(
      (
        await t.http
          .get(`${api}/verify/${view.body.result.verificationCode}`)
          .query({ sha256: view.body.result.sha256 })
      ).body.valid,
    ).toBe(true);

    const link = await t.http.post(`${api}/applications/${id}/result/link`).set(citizen.auth).expect(200);
    const url = new URL(link.body.url);
    const viaLink = await t.http.get(`${url.pathname}${url.search}`).buffer(true).parse(binary).expect(200);
    expect(sha256(viaLink.body)).toBe(view.body.result.sha256);
    const token = url.searchParams.get('token')!;
    const tampered = `${token.slice(0, -2)}${token.endsWith('A') ? 'B' : 'A'}${token.slice(-1)}`;
    expect((await t.http.get(`${api}/results/download`).query({ token: tampered })).status).toBe(404);
    // An expired link: the same dossier, signed with an expiry in the past.
    const { ResultsService } = await import('../src/delivery/results.service');
    const results = t.app.get(ResultsService);
    const realNow = Date.now;
    Date.now = () => realNow() - 3600_000;
    const old = results.signedLink(id);
    Date.now = realNow;
    const expired = await t.http.get(`${new URL(old.url).pathname}${new URL(old.url).search}`);
    expect(expired.status).toBe(410);
    const vias = await t.db.query(
      `SELECT rd.via FROM result_downloads rd JOIN dossier_results r ON r.id = rd.result_id WHERE r.dossier_id = $1 ORDER BY rd.id`,
      [id],
    );
    expect(vias.map((v: { via: string }) => v.via)).toEqual(['owner', 'link']);
    await t.drain();
    expect(t.smtp.to(citizen.email).map((m) => m.subject)).toContain(`Đã có kết quả hồ sơ ${view.body.code}`);
  });

  it('by post: issuing creates one shipment; tracking events reach the dossier; delivered completes it', async () => {
    const { citizen, clerk, id } = await approvedJudicialRecord(post);
    await act(clerk, id, 'issue_result');
    await t.drain();
    const shipped = await t.http.get(`${api}/applications/${id}`).set(citizen.auth).expect(200);
    expect(shipped.body.shipment).toEqual({ waybill: expect.any(String), status: 'created' });
    const waybill = shipped.body.shipment.waybill;
    for (const status of ['picked_up', 'in_transit']) {
      await t.http.post(`${api}/sandbox/postal/shipments/${waybill}/events`).send({ status }).expect(200);
      expect((await t.http.get(`${api}/applications/${id}`).set(citizen.auth)).body.shipment.status).toBe(status);
    }
    await t.http.post(`${api}/sandbox/postal/shipments/${waybill}/events`).send({ status: 'delivered' }).expect(200);
    await t.drain();
    const done = await t.http.get(`${api}/applications/${id}`).set(citizen.auth).expect(200);
    expect(done.body).toMatchObject({ state: 'completed', shipment: { waybill, status: 'delivered' } });
    const h = await t.http.get(`${api}/applications/${id}/history`).set(citizen.auth);
    expect(h.body.at(-1)).toMatchObject({ action: 'parcel_delivered', actorRole: 'system', toState: 'completed' });
    const subjects = t.smtp.to(citizen.email).map((m) => m.subject);
    expect(subjects).toEqual(
      expect.arrayContaining([`Đã gửi kết quả hồ sơ ${done.body.code}`, `Đã phát kết quả hồ sơ ${done.body.code}`]),
    );
    // Issuing twice is impossible and the operator holds exactly one parcel for the dossier.
    const ledger = await t.http.get(`${api}/sandbox/postal/shipments`).query({ reference: id }).expect(200);
    expect(ledger.body).toHaveLength(1);
  });

  it('a parcel returned to sender brings the dossier back to the agency and alerts its staff', async () => {
    const { clerk, id } = await approvedJudicialRecord(post);
    await act(clerk, id, 'issue_result');
    await t.drain();
    const { body } = await t.http.get(`${api}/applications/${id}`).set(clerk.auth);
    await t.http
      .post(`${api}/sandbox/postal/shipments/${body.shipment.waybill}/events`)
      .send({ status: 'returned' })
      .expect(200);
    await t.drain();
    const back = await t.http.get(`${api}/applications/${id}`).set(clerk.auth).expect(200);
    expect(back.body).toMatchObject({
      state: 'returned_to_agency',
      shipment: { status: 'returned' },
      availableActions: ['hand_over'],
    });
    expect(t.smtp.to('clerk.sotuphap@demo.local').map((m) => m.subject)).toContain(
      `Bưu điện hoàn trả kết quả hồ sơ ${back.body.code}`,
    );
    await act(clerk, id, 'hand_over');
  });

  it('a dossier crossing its due date is flagged overdue once, staff are warned once, the apology shows a new date and it still counts as late', async () => {
    const { citizen, clerk, d } = await submittedBirthExtract();
    const claimed = await t.http.post(`${api}/applications/${d.body.id}/assign`).set(clerk.auth).send({}).expect(200);
    const received = await act(clerk, d.body.id, 'receive');
    // An apology needs a date later than the due date.
    const early = await t.http
      .post(`${api}/applications/${d.body.id}/apology`)
      .set(clerk.auth)
      .send({ reason: 'Chờ xác minh', newDueAt: new Date(new Date(received.dueAt).getTime() - 60_000).toISOString() });
    expect(early.status).toBe(422);

    // Time passes: the due date is now behind us.
    // (Today still, Vietnam time: an apology is issued at the latest on the day the due date passes.)
    await t.db.query(
      `UPDATE dossiers SET due_at = greatest(now() - interval '2 hours',
                                             date_trunc('day', now() AT TIME ZONE 'Asia/Ho_Chi_Minh') AT TIME ZONE 'Asia/Ho_Chi_Minh'),
                           attention_at = now() - interval '2 hours' WHERE id = $1`,
      [d.body.id],
    );
    const deadlines = t.app.get(DeadlinesService);
    const first = await deadlines.sweep();
    expect(first.overdue).toBeGreaterThanOrEqual(1);
    await deadlines.sweep();
    await t.drain();
    const view = await t.http.get(`${api}/applications/${d.body.id}`).set(clerk.auth).expect(200);
    expect(view.body.standing).toBe('overdue');
    const queue = await t.http.get(`${api}/queue`).set(clerk.auth).query({ due: 'overdue', limit: 100 }).expect(200);
    expect(queue.body.items.find((i: { id: string }) => i.id === d.body.id)).toMatchObject({
      overdue: true,
      deadlineAlert: 'overdue',
    });
    // The assignee is warned, once, however often the sweep runs.
    const warned = t.smtp
      .to('clerk.bennghe@demo.local')
      .filter((m) => m.subject === `Hồ sơ ${claimed.body.code} đã quá hạn`);
    expect(warned).toHaveLength(1);

    const newDueAt = await workingDaysAfter(t, d.body.id, new Date(), 3);
    const apology = await t.http
      .post(`${api}/applications/${d.body.id}/apology`)
      .set(clerk.auth)
      .send({ reason: 'Cần xác minh thêm với cơ quan đăng ký gốc', newDueAt: newDueAt.toISOString() })
      .expect(200);
    expect(apology.body.apologies).toEqual([
      { reason: 'Cần xác minh thêm với cơ quan đăng ký gốc', newDueAt: newDueAt.toISOString(), at: expect.any(String) },
    ]);
    expect(apology.body.dueAt).toBe(view.body.dueAt); // the due date does not move
    await t.drain();
    const letter = t.smtp.to(citizen.email).find((m) => m.subject.startsWith('Thư xin lỗi'));
    expect(letter?.text).toContain('Cần xác minh thêm với cơ quan đăng ký gốc');

    const done = await act(clerk, d.body.id, 'complete');
    expect(done.standing).toBe('late');
    const h = await t.http.get(`${api}/applications/${d.body.id}/history`).set(citizen.auth);
    expect(h.body.map((e: { action: string }) => e.action)).toContain('apology');
  });

  it('the citizen rates a finished dossier once; not before it is finished, not twice, not someone else’s', async () => {
    const { citizen, clerk, d } = await submittedBirthExtract();
    expect(
      (await t.http.post(`${api}/applications/${d.body.id}/rating`).set(citizen.auth).send({ score: 5 })).status,
    ).toBe(409);
    await act(clerk, d.body.id, 'receive');
    await act(clerk, d.body.id, 'complete');
    expect(
      (await t.http.post(`${api}/applications/${d.body.id}/rating`).set(citizen.auth).send({ score: 6 })).status,
    ).toBe(400);
    const stranger = await newCitizen(t);
    expect(
      (await t.http.post(`${api}/applications/${d.body.id}/rating`).set(stranger.auth).send({ score: 1 })).status,
    ).toBe(404);
    const rated = await t.http
      .post(`${api}/applications/${d.body.id}/rating`)
      .set(citizen.auth)
      .send({ score: 4, comment: 'Nhanh, rõ ràng' })
      .expect(201);
    expect(rated.body).toMatchObject({ score: 4, comment: 'Nhanh, rõ ràng' });
    expect(
      (await t.http.post(`${api}/applications/${d.body.id}/rating`).set(citizen.auth).send({ score: 1 })).status,
    ).toBe(409);
    expect((await t.http.get(`${api}/applications/${d.body.id}`).set(citizen.auth)).body.rating).toMatchObject({
      score: 4,
    });
  });

  it('the indicators agree with these dossiers: the overdue one counts late despite its apology, the other on time', async () => {
    // This suite's own database: at Bến Nghé, the birth extracts finished today are the two above.
    const supervisor = await staff(t, 'supervisor', 'bennghe');
    const from = new Date(Date.now() - 24 * 3600_000).toISOString();
    const to = new Date(Date.now() + 24 * 3600_000).toISOString();
    const res = await t.http
      .get(`${api}/reports/indicators`)
      .set(supervisor.auth)
      .query({ from, to, procedure: DEMO.birthExtract })
      .expect(200);
    expect(res.body.rows).toEqual([
      expect.objectContaining({
        agencyCode: DEMO.agencies.bennghe,
        procedureCode: DEMO.birthExtract,
        received: 2,
        finished: 2,
        onTime: 1,
        late: 1,
        onTimeRate: 0.5,
        satisfactionRate: 1,
      }),
    ]);
  });
});
