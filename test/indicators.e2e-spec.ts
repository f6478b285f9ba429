import { randomUUID } from 'node:crypto';
import { addWorkingTime, DEFAULT_CALENDAR, dueDate, WorkCalendar } from '../src/workflow/calendar';
import { createTestApp, TestApp } from './support/app';
import { admin, DEMO, login, newCitizen, Session, staff } from './support/factories';

/**
 * GET /api/v1/reports/indicators against a seeded set of dossiers whose
 * answers are known by construction (written straight into the database,
 * with columns as the workflow would have left them).
 *
 * Agency A (calendar: the default one plus a public holiday on Fri
 * 2026-11-20), procedures P1 and P2; agency B, procedure Q1. Processing time
 * limit: 3 working days (24 working hours). Office hours 07:00-11:30 and
 * 13:30-17:00, UTC+7. The period is November 2026 (local).
 *
 * A / P1, received in November (10: 8 online, 2 counter):
 *  d1 online   Mon 16 08:00 -> Tue 17 09:00   9 h, on time   fee paid online (succeeded)   rated 5
 *  d2 online   Fri 06 16:00 -> Mon 09 08:00   2 h, on time   fee paid online (refunded)    rated 4
 *  d3 counter  Wed 04 18:30 -> Thu 05 10:00   3 h, on time   fee paid at the counter       rated 2
 *              (received after hours: counts from Thu 07:00; a failed online attempt does not count)
 *  d4 online   Thu 19 10:00 -> Mon 23 11:00   9 h - 2 h paused = 7 h (Fri 20 is A's holiday), on time, no fee
 *  d5 online   Mon 02 09:00 -> Fri 06 15:00  36 h, LATE (due Thu 05 09:00; apology with a new date it met)
 *              fee paid online (succeeded)
 *  d6 counter  Tue 10 07:00 -> Mon 16 07:30  32.5 h, LATE (due Thu 12 17:00), no fee
 *  d7 online   Wed 25 09:00, processing, fee open (a pending attempt does not count)
 *  d8 online   Thu 26 09:00, processing, no fee
 *  d9 online   Fri 27 09:00, processing, fee request void (no fee owed)
 *  d10 online  Mon 30 23:00, processing, no fee (the last hour of the period)
 *  => received 10, finished 6, on time 4, late 2, on-time rate 4/6, online 8/10,
 *     online payment 3/5, avg (9+2+3+7+36+32.5)/6 = 14.9167 h, satisfaction 2/3 (5,4,2), avg score 3.67
 * A / P1, not counted: o1 received Sat 31 Oct 23:59, finished Tue 1 Dec 00:00 (both just outside),
 *  rated Dec 1; o3 submitted and refused in November, never received.
 * A / P2: o2 received Tue 20 Oct 14:00, finished Tue 3 Nov 10:00, 78 h - 6 h paused = 72 h, late, rated 3
 *  on Nov 4; o4 received and finished before November, rated 5 on Nov 2.
 *  => received 0, finished 1, late 1, rates over nothing are null, satisfaction 1/2, avg score 4
 * B / Q1: b1 online Mon 02 07:00 -> Mon 02 17:00 (8 h, on time); b2 online received Tue 03, processing.
 */

const A = 'T99.RPT.A';
const B = 'T99.RPT.B';
const P1 = 'RPT-P1';
const P2 = 'RPT-P2';
const Q1 = 'RPT-Q1';
const DAYS = 3;
const HOUR = 3_600_000;
const CAL_A: WorkCalendar = { ...DEFAULT_CALENDAR, holidays: ['2026-11-20'] };
const CAL_B: WorkCalendar = { ...DEFAULT_CALENDAR };

/** A local (UTC+7) time 'YYYY-MM-DD HH:MM'. */
const vn = (s: string) => new Date(`${s.replace(' ', 'T')}:00+07:00`);

const PATH = '/api/v1/reports/indicators';
const NOVEMBER = { from: '2026-11-01', to: '2026-12-01' };

const HEADER =
  'agencyCode,procedureCode,received,finished,onTime,late,onTimeRate,onlineRate,onlinePaymentRate,avgProcessingHours,satisfactionRate,ratings,avgScore,withdrawn,refused,counter,post,digitisationRate';

const ROW_A_P1 = {
  agencyCode: A,
  procedureCode: P1,
  received: 10,
  finished: 6,
  onTime: 4,
  late: 2,
  onTimeRate: 0.6667,
  onlineRate: 0.8,
  onlinePaymentRate: 0.6,
  avgProcessingHours: 14.92,
  satisfactionRate: 0.6667,
  ratings: 3,
  avgScore: 3.67,
  withdrawn: 0,
  refused: 0,
  // Two of the ten came to the counter, their papers never scanned: the eight online ones are digital.
  counter: 2,
  post: 0,
  digitisationRate: 0.8,
};
const ROW_A_P2 = {
  agencyCode: A,
  procedureCode: P2,
  received: 0,
  finished: 1,
  onTime: 0,
  late: 1,
  onTimeRate: 0,
  onlineRate: null,
  onlinePaymentRate: null,
  avgProcessingHours: 72,
  satisfactionRate: 0.5,
  ratings: 2,
  avgScore: 4,
  withdrawn: 0,
  refused: 0,
  counter: 0,
  post: 0,
  digitisationRate: null,
};
const ROW_B_Q1 = {
  agencyCode: B,
  procedureCode: Q1,
  received: 2,
  finished: 1,
  onTime: 1,
  late: 0,
  onTimeRate: 1,
  onlineRate: 1,
  onlinePaymentRate: null,
  avgProcessingHours: 8,
  satisfactionRate: null,
  ratings: 0,
  avgScore: null,
  withdrawn: 0,
  refused: 0,
  counter: 0,
  post: 0,
  digitisationRate: 1,
};

function expectProblem(
  res: { status: number; headers: Record<string, string>; body: Record<string, unknown> },
  status: number,
) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
}

interface Seed {
  agency: 'A' | 'B';
  procedure: string;
  channel?: 'online' | 'counter';
  state: string;
  submittedAt?: Date;
  receivedAt?: Date | null;
  dueAt?: Date | null;
  finishedAt?: Date | null;
  pausedMs?: number;
}

describe('indicators report', () => {
  let t: TestApp;
  let adm: Session;
  let supA: Session;
  let clerkA: Session;
  let supAId: string;
  let applicantId: string;
  const ids = {
    agency: {} as Record<string, string>,
    procedure: {} as Record<string, string>,
    version: {} as Record<string, string>,
  };
  let seq = 0;

  async function dossier(s: Seed): Promise<string> {
    const agencyCode = s.agency === 'A' ? A : B;
    const received = s.receivedAt ?? null;
    const submitted = s.submittedAt ?? (received ? new Date(received.getTime() - HOUR) : null);
    const day = (received ?? submitted)!;
    const local = new Date(day.getTime() + 7 * HOUR).toISOString();
    const code = received
      ? `${agencyCode}-${local.slice(2, 4)}${local.slice(5, 7)}${local.slice(8, 10)}-${String(++seq).padStart(4, '0')}`
      : null;
    const finished = s.finishedAt ?? null;
    const due = s.dueAt ?? null;
    const [{ id }] = await t.db.query(
      `INSERT INTO dossiers (code, agency_id, procedure_id, procedure_version_id, applicant_id, state, channel,
                             submitted_at, received_at, due_at, finished_at, paused_ms, attention_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
      [
        code,
        ids.agency[agencyCode],
        ids.procedure[s.procedure],
        ids.version[s.procedure],
        applicantId,
        s.state,
        s.channel ?? 'online',
        // The queue's sort key: null once finished or in a terminal state.
        submitted,
        received,
        due,
        finished,
        s.pausedMs ?? 0,
        finished || s.state === 'refused' ? null : (due ?? submitted),
        submitted,
      ],
    );
    return id;
  }

  async function fee(
    dossierId: string,
    status: 'open' | 'paid' | 'refund_pending' | 'refunded' | 'void',
    attempt?: 'succeeded' | 'refunded' | 'failed' | 'pending',
    paidAt?: Date,
  ) {
    const [{ id }] = await t.db.query(
      `INSERT INTO payment_requests (dossier_id, stage, items, amount_vnd, status, paid_at)
       VALUES ($1, 'before_receipt', '[{"kind":"fee","name":"Lệ phí","amount":50000}]', 50000, $2, $3) RETURNING id`,
      [dossierId, status, status === 'open' || status === 'void' ? null : paidAt],
    );
    if (attempt) {
      const paid = attempt === 'succeeded' || attempt === 'refunded';
      await t.db.query(
        `INSERT INTO payment_attempts (request_id, dossier_id, provider, txn_ref, amount_vnd, state, provider_txn_no, paid_at, expires_at)
         VALUES ($1, $2, 'vnpay', $3, 50000, $4, $5, $6, $7)`,
        [
          id,
          dossierId,
          `T${randomUUID().slice(0, 12)}`,
          attempt,
          paid ? String(14_000_000 + ++seq) : null,
          paid ? paidAt : null,
          new Date((paidAt ?? new Date()).getTime() + 900_000),
        ],
      );
    }
  }

  const rate = (dossierId: string, score: number, at: Date) =>
    t.db.query(`INSERT INTO dossier_ratings (dossier_id, score, comment, at) VALUES ($1, $2, $3, $4)`, [
      dossierId,
      score,
      `điểm ${score}`,
      at,
    ]);

  beforeAll(async () => {
    t = await createTestApp();
    adm = await admin(t);
    applicantId = (await newCitizen(t)).id!;

    for (const [code, name, calendar] of [
      [A, 'UBND Phường Thử nghiệm A', CAL_A],
      [B, 'UBND Phường Thử nghiệm B', CAL_B],
    ] as const) {
      const [{ id }] = await t.db.query(
        `INSERT INTO agencies (code, name, calendar) VALUES ($1, $2, $3) RETURNING id`,
        [code, name, calendar],
      );
      ids.agency[code] = id;
    }
    for (const [code, agency] of [
      [P1, A],
      [P2, A],
      [Q1, B],
    ]) {
      const [{ id }] = await t.db.query(
        `INSERT INTO procedures (code, name, agency_id, level) VALUES ($1, $2, $3, 'full') RETURNING id`,
        [code, `Thủ tục ${code}`, ids.agency[agency]],
      );
      ids.procedure[code] = id;
      // A published version copied from a demo one, with a 3-working-day limit.
      const [{ id: versionId }] = await t.db.query(
        `INSERT INTO procedure_versions (procedure_id, version, form_schema, required_documents, fees, fee_timing, processing_days,
                                         delivery_options, workflow, postal_fee_vnd, refundable, result_template, published_at)
         SELECT $1, 1, v.form_schema, v.required_documents, v.fees, v.fee_timing, $2, v.delivery_options, v.workflow,
                v.postal_fee_vnd, v.refundable, v.result_template, now()
           FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id
          WHERE p.code = $3 AND v.version = 1
         RETURNING id`,
        [id, DAYS, DEMO.judicialRecord],
      );
      ids.version[code] = versionId;
    }

    const supEmail = `sup-${randomUUID().slice(0, 8)}@rpt.local`;
    const clerkEmail = `clerk-${randomUUID().slice(0, 8)}@rpt.local`;
    const created = await t.http
      .post('/api/v1/admin/staff')
      .set(adm.auth)
      .send({ email: supEmail, password: 'Super-pass-2026', role: 'supervisor', agencyCode: A, fullName: 'Giám sát A' })
      .expect(201);
    supAId = created.body.id;
    await t.http
      .post('/api/v1/admin/staff')
      .set(adm.auth)
      .send({ email: clerkEmail, password: 'Clerk-pass-2026', role: 'clerk', agencyCode: A })
      .expect(201);
    supA = await login(t, supEmail, 'Super-pass-2026');
    clerkA = await login(t, clerkEmail, 'Clerk-pass-2026');

    // ---- A / P1, received in November ----
    const d1 = await dossier({
      agency: 'A',
      procedure: P1,
      state: 'completed',
      receivedAt: vn('2026-11-16 08:00'),
      dueAt: vn('2026-11-19 08:00'),
      finishedAt: vn('2026-11-17 09:00'),
    });
    await fee(d1, 'paid', 'succeeded', vn('2026-11-16 07:30'));
    await rate(d1, 5, vn('2026-11-18 10:00'));
    const d2 = await dossier({
      agency: 'A',
      procedure: P1,
      state: 'completed',
      receivedAt: vn('2026-11-06 16:00'),
      dueAt: vn('2026-11-11 16:00'),
      finishedAt: vn('2026-11-09 08:00'),
    });
    await fee(d2, 'refunded', 'refunded', vn('2026-11-06 15:00'));
    await rate(d2, 4, vn('2026-11-10 10:00'));
    const d3 = await dossier({
      agency: 'A',
      procedure: P1,
      channel: 'counter',
      state: 'completed',
      receivedAt: vn('2026-11-04 18:30'),
      dueAt: vn('2026-11-09 17:00'),
      finishedAt: vn('2026-11-05 10:00'),
    });
    await fee(d3, 'paid', 'failed', vn('2026-11-04 18:00'));
    await rate(d3, 2, vn('2026-11-06 10:00'));
    await dossier({
      agency: 'A',
      procedure: P1,
      state: 'completed',
      receivedAt: vn('2026-11-19 10:00'),
      dueAt: vn('2026-11-25 14:00'),
      finishedAt: vn('2026-11-23 11:00'),
      pausedMs: 2 * HOUR,
    });
    const d5 = await dossier({
      agency: 'A',
      procedure: P1,
      state: 'completed',
      receivedAt: vn('2026-11-02 09:00'),
      dueAt: vn('2026-11-05 09:00'),
      finishedAt: vn('2026-11-06 15:00'),
    });
    await fee(d5, 'paid', 'succeeded', vn('2026-11-02 08:30'));
    await t.db.query(
      `INSERT INTO dossier_apologies (dossier_id, reason, new_due_at, issued_by, at) VALUES ($1, 'Cần xác minh thêm', $2, $3, $4)`,
      [d5, vn('2026-11-06 17:00'), supAId, vn('2026-11-04 15:00')],
    );
    await dossier({
      agency: 'A',
      procedure: P1,
      channel: 'counter',
      state: 'completed',
      receivedAt: vn('2026-11-10 07:00'),
      dueAt: vn('2026-11-12 17:00'),
      finishedAt: vn('2026-11-16 07:30'),
    });
    const d7 = await dossier({
      agency: 'A',
      procedure: P1,
      state: 'processing',
      receivedAt: vn('2026-11-25 09:00'),
      dueAt: vn('2026-11-30 09:00'),
    });
    await fee(d7, 'open', 'pending');
    await dossier({
      agency: 'A',
      procedure: P1,
      state: 'processing',
      receivedAt: vn('2026-11-26 09:00'),
      dueAt: vn('2026-12-01 09:00'),
    });
    const d9 = await dossier({
      agency: 'A',
      procedure: P1,
      state: 'processing',
      receivedAt: vn('2026-11-27 09:00'),
      dueAt: vn('2026-12-02 09:00'),
    });
    await fee(d9, 'void');
    await dossier({
      agency: 'A',
      procedure: P1,
      state: 'processing',
      receivedAt: vn('2026-11-30 23:00'),
      dueAt: vn('2026-12-03 17:00'),
    });

    // ---- A / P1, outside the period or never received ----
    const o1 = await dossier({
      agency: 'A',
      procedure: P1,
      state: 'completed',
      receivedAt: vn('2026-10-31 23:59'),
      dueAt: vn('2026-11-04 17:00'),
      finishedAt: vn('2026-12-01 00:00'),
    });
    await fee(o1, 'paid', 'succeeded', vn('2026-10-31 23:00'));
    await rate(o1, 1, vn('2026-12-01 08:00'));
    await dossier({
      agency: 'A',
      procedure: P1,
      channel: 'counter',
      state: 'refused',
      submittedAt: vn('2026-11-05 09:00'),
    });

    // ---- A / P2: finished (not received) and rated in November ----
    const o2 = await dossier({
      agency: 'A',
      procedure: P2,
      state: 'completed',
      receivedAt: vn('2026-10-20 14:00'),
      dueAt: vn('2026-10-26 10:00'),
      finishedAt: vn('2026-11-03 10:00'),
      pausedMs: 6 * HOUR,
    });
    await rate(o2, 3, vn('2026-11-04 09:00'));
    const o4 = await dossier({
      agency: 'A',
      procedure: P2,
      state: 'completed',
      receivedAt: vn('2026-09-14 08:00'),
      dueAt: vn('2026-09-17 08:00'),
      finishedAt: vn('2026-10-09 10:00'),
    });
    await rate(o4, 5, vn('2026-11-02 10:00'));

    // ---- B / Q1: another agency ----
    await dossier({
      agency: 'B',
      procedure: Q1,
      state: 'completed',
      receivedAt: vn('2026-11-02 07:00'),
      dueAt: vn('2026-11-04 17:00'),
      finishedAt: vn('2026-11-02 17:00'),
    });
    await dossier({
      agency: 'B',
      procedure: Q1,
      state: 'processing',
      receivedAt: vn('2026-11-03 09:00'),
      dueAt: vn('2026-11-06 09:00'),
    });
  });
  afterAll(() => t.close());

  const get = (s: Session | undefined, query: Record<string, string>) => {
    const req = t.http.get(PATH).query(query);
    return s ? req.set(s.auth) : req;
  };

  it('the seeded due dates are what the clock rules give (received + 3 working days, pushed back by the pauses)', async () => {
    const rows: { code: string; received_at: Date; due_at: Date; paused_ms: string; cal: WorkCalendar }[] =
      await t.db.query(
        `SELECT d.code, d.received_at, d.due_at, d.paused_ms, g.calendar AS cal
         FROM dossiers d JOIN agencies g ON g.id = d.agency_id WHERE g.code IN ($1, $2) AND d.received_at IS NOT NULL`,
        [A, B],
      );
    expect(rows).toHaveLength(15);
    for (const r of rows) {
      const expected = addWorkingTime(r.cal, dueDate(r.cal, r.received_at, DAYS), Number(r.paused_ms));
      expect({ code: r.code, due: r.due_at.toISOString() }).toEqual({ code: r.code, due: expected.toISOString() });
    }
  });

  it("a supervisor gets their own agency's rows for the period, with the known answers", async () => {
    const res = await get(supA, NOVEMBER).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      from: '2026-10-31T17:00:00.000Z',
      to: '2026-11-30T17:00:00.000Z',
      rows: [ROW_A_P1, ROW_A_P2],
    });
    // Naming their own agency gives the same answer.
    const named = await get(supA, { ...NOVEMBER, agency: A }).expect(200);
    expect(named.body).toEqual(res.body);
  });

  it('reads date-times with offsets as instants, and [from, to) excludes the end', async () => {
    const same = await get(supA, { from: '2026-10-31T17:00:00Z', to: '2026-12-01T00:00:00+07:00' }).expect(200);
    expect(same.body.rows).toEqual([ROW_A_P1, ROW_A_P2]);
    // d10 was received at 23:00 on the 30th: a period ending then leaves it out.
    const narrower = await get(supA, { from: '2026-11-01', to: '2026-11-30T23:00' }).expect(200);
    expect(narrower.body.to).toBe('2026-11-30T16:00:00.000Z');
    expect(narrower.body.rows).toEqual([
      { ...ROW_A_P1, received: 9, onlineRate: 0.7778, digitisationRate: 0.7778 },
      ROW_A_P2,
    ]);
    // One more minute and it is in.
    const wider = await get(supA, { from: '2026-11-01', to: '2026-11-30T23:01:00+07:00' }).expect(200);
    expect(wider.body.rows).toEqual([ROW_A_P1, ROW_A_P2]);
  });

  it('a period with no activity has no rows; October shows the dossiers received then', async () => {
    const empty = await get(supA, { from: '2027-01-01', to: '2027-02-01' }).expect(200);
    expect(empty.body).toEqual({ from: '2026-12-31T17:00:00.000Z', to: '2027-01-31T17:00:00.000Z', rows: [] });
    const october = await get(supA, { from: '2026-10-01', to: '2026-11-01' }).expect(200);
    // October: o1 (31 Oct 23:59) received for P1; o2 (20 Oct) received and o4 (9 Oct) finished for P2.
    expect(
      october.body.rows.map((r: { procedureCode: string; received: number; finished: number }) => [
        r.procedureCode,
        r.received,
        r.finished,
      ]),
    ).toEqual([
      [P1, 1, 0],
      [P2, 1, 1],
    ]);
  });

  it('CSV: the same rows, RFC 4180, a header of the row keys, empty fields for null', async () => {
    const res = await get(supA, { ...NOVEMBER, format: 'csv' }).expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename=".+\.csv"$/);
    expect(res.text).toBe(
      `${HEADER}\r\n` +
        `${A},${P1},10,6,4,2,0.6667,0.8,0.6,14.92,0.6667,3,3.67,0,0,2,0,0.8\r\n` +
        `${A},${P2},0,1,0,1,0,,,72,0.5,2,4,0,0,0,0,\r\n`,
    );
    const none = await get(supA, { from: '2027-01-01', to: '2027-02-01', format: 'csv' }).expect(200);
    expect(none.text).toBe(`${HEADER}\r\n`);
  });

  it('a supervisor never sees another agency: naming it (known or not) is 403; a demo supervisor sees only theirs', async () => {
    expectProblem(await get(supA, { ...NOVEMBER, agency: B }), 403);
    expectProblem(await get(supA, { ...NOVEMBER, agency: 'NO.SUCH.AGENCY' }), 403);
    expectProblem(await get(supA, { ...NOVEMBER, agency: B, format: 'csv' }), 403);
    // Another agency's procedure, within their own agency: nothing.
    expect((await get(supA, { ...NOVEMBER, procedure: Q1 }).expect(200)).body.rows).toEqual([]);
    const bennghe = await staff(t, 'supervisor', 'bennghe');
    expect((await get(bennghe, NOVEMBER).expect(200)).body.rows).toEqual([]);
    expectProblem(await get(bennghe, { ...NOVEMBER, agency: A }), 403);
  });

  it('an admin sees every agency, sorted by agency then procedure, and filters by agency and procedure', async () => {
    const all = await get(adm, NOVEMBER).expect(200);
    const ours = all.body.rows.filter((r: { agencyCode: string }) => r.agencyCode === A || r.agencyCode === B);
    expect(ours).toEqual([ROW_A_P1, ROW_A_P2, ROW_B_Q1]);
    const keys = all.body.rows.map(
      (r: { agencyCode: string; procedureCode: string }) => `${r.agencyCode}\u0000${r.procedureCode}`,
    );
    expect(keys).toEqual([...keys].sort());

    expect((await get(adm, { ...NOVEMBER, agency: B }).expect(200)).body.rows).toEqual([ROW_B_Q1]);
    expect((await get(adm, { ...NOVEMBER, agency: A }).expect(200)).body.rows).toEqual([ROW_A_P1, ROW_A_P2]);
    expect((await get(adm, { ...NOVEMBER, procedure: P2 }).expect(200)).body.rows).toEqual([ROW_A_P2]);
    expect((await get(adm, { ...NOVEMBER, agency: A, procedure: P1 }).expect(200)).body.rows).toEqual([ROW_A_P1]);
    expect((await get(adm, { ...NOVEMBER, agency: B, procedure: P1 }).expect(200)).body.rows).toEqual([]);

    const csv = await get(adm, { ...NOVEMBER, agency: B, format: 'csv' }).expect(200);
    expect(csv.text).toBe(`${HEADER}\r\n${B},${Q1},2,1,1,0,1,1,,8,,0,,0,0,0,0,1\r\n`);

    const unknown = await get(adm, { ...NOVEMBER, agency: 'NO.SUCH.AGENCY' });
    expectProblem(unknown, 400);
    expect(unknown.body.errors).toEqual([{ field: 'agency', message: expect.any(String) }]);
    const unknownProcedure = await get(adm, { ...NOVEMBER, procedure: 'NO-SUCH' });
    expectProblem(unknownProcedure, 400);
    expect(unknownProcedure.body.errors).toEqual([{ field: 'procedure', message: expect.any(String) }]);
  });

  it.each([
    ['no from', { to: '2026-12-01' }, 'from'],
    ['no to', { from: '2026-11-01' }, 'to'],
    ['a month 13', { from: '2026-13-01', to: '2026-12-01' }, 'from'],
    ['30 February', { from: '2026-02-30', to: '2026-03-15' }, 'from'],
    ['not a date', { from: 'yesterday', to: '2026-12-01' }, 'from'],
    ['a time of 24:00', { from: '2026-11-01T24:00', to: '2026-12-01' }, 'from'],
    ['an offset beyond 14 h', { from: '2026-11-01T00:00+15:00', to: '2026-12-01' }, 'from'],
    ['to before from', { from: '2026-12-01', to: '2026-11-01' }, 'to'],
    ['to equal to from', { from: '2026-11-01', to: '2026-11-01T00:00:00+07:00' }, 'to'],
    ['more than 2 years', { from: '2024-11-01', to: '2026-11-01T00:00:01+07:00' }, 'to'],
    ['an unknown format', { ...NOVEMBER, format: 'xml' }, 'format'],
    ['an unknown parameter', { ...NOVEMBER, foo: '1' }, 'foo'],
  ])('400 problem+json for %s', async (_what, query, field) => {
    const res = await get(adm, query);
    expectProblem(res, 400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('400 for a repeated parameter; exactly 2 years is allowed', async () => {
    const res = await t.http.get(`${PATH}?from=2026-11-01&from=2026-10-01&to=2026-12-01`).set(adm.auth);
    expectProblem(res, 400);
    await get(adm, { from: '2024-11-01', to: '2026-11-01' }).expect(200);
  });

  it('clerks and citizens get 403, anonymous callers and bad tokens 401', async () => {
    expectProblem(await get(clerkA, NOVEMBER), 403);
    expectProblem(await get(await staff(t, 'clerk', 'bennghe'), NOVEMBER), 403);
    expectProblem(await get(await newCitizen(t), { ...NOVEMBER, format: 'csv' }), 403);
    expectProblem(await get(undefined, NOVEMBER), 401);
    expectProblem(await t.http.get(PATH).query(NOVEMBER).set({ Authorization: 'Bearer not-a-token' }), 401);
  });
});
