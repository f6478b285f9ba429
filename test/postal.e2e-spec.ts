import { ConfigService } from '@nestjs/config';
import { POSTAL_PROVIDER, PostalProvider } from '../src/delivery/postal/postal-provider';
import { signBody } from '../src/delivery/postal/postal.protocol';
import { PostalService, RESULT_PARCEL_WEIGHT_GRAMS } from '../src/delivery/postal/postal.service';
import { createTestApp, TestApp } from './support/app';
import { DEMO, newCitizen } from './support/factories';

/**
 * Results by post, over the real path: the portal's HTTP adapter asks the
 * built-in sandbox operator for a waybill over HTTP, and the sandbox reports
 * tracking events to the portal's signed webhook over HTTP. Shipment creation
 * is never done twice for a dossier (repeats, concurrency, a crash between the
 * operator's answer and the insert); tracking events are recorded once and
 * only move a shipment forward.
 */
describe('postal delivery (operator adapter, signed webhook, sandbox operator)', () => {
  let t: TestApp;
  let postal: PostalService;
  let provider: PostalProvider;
  let webhookSecret: string;
  beforeAll(async () => {
    t = await createTestApp();
    postal = t.app.get(PostalService);
    provider = t.app.get<PostalProvider>(POSTAL_PROVIDER);
    webhookSecret = t.app.get(ConfigService).get('POSTAL_WEBHOOK_SECRET')!;
  });
  afterAll(() => t?.close());

  const api = '/api/v1';
  const JUDICIAL_FORM = {
    fullName: 'Lê Thị Hoa',
    dateOfBirth: '1990-05-01',
    placeOfBirth: 'TP. Hồ Chí Minh',
    certificateType: 1,
    purpose: 'Xin việc',
  };
  const BY_POST = {
    method: 'post',
    recipient: 'Lê Thị Hoa',
    address: '12 Lê Lợi, Quận 1, TP. Hồ Chí Minh',
    phone: '0901234567',
  };

  // ------------------------------------------------------------------ helpers

  async function dossier(delivery: 'post' | 'online' = 'post'): Promise<string> {
    const citizen = await newCitizen(t);
    const res = await t.http
      .post(`${api}/applications`)
      .set(citizen.auth)
      .send({
        procedureCode: DEMO.judicialRecord,
        formData: JUDICIAL_FORM,
        ...(delivery === 'post' ? { delivery: BY_POST } : {}),
      });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  async function shipped(): Promise<{ dossierId: string; shipmentId: string; waybill: string }> {
    const dossierId = await dossier();
    const r = await postal.createShipment(dossierId);
    if (!('shipmentId' in r)) throw new Error(`no shipment: ${r.outcome}`);
    return { dossierId, shipmentId: r.shipmentId, waybill: r.waybill };
  }

  const shipments = (dossierId: string) =>
    t.db.query(`SELECT id, waybill, status, provider, fee_vnd FROM shipments WHERE dossier_id = $1`, [dossierId]);
  const events = (shipmentId: string) =>
    t.db.query(`SELECT event_id, status, applied, raw FROM shipment_events WHERE shipment_id = $1 ORDER BY id`, [
      shipmentId,
    ]);
  const outbox = (dossierId: string) =>
    t.db.query<{ job_name: string; payload: any }[]>(
      `SELECT job_name, payload FROM outbox WHERE payload->>'dossierId' = $1 ORDER BY created_at, id`,
      [dossierId],
    );
  const ledger = async (reference: string) => {
    const res = await t.http.get(`${api}/sandbox/postal/shipments`).query({ reference });
    expect(res.status).toBe(200);
    return res.body as { waybill: string; reference: string; status: string; callbackUrl: string }[];
  };
  const report = (waybill: string, status: string, extra: Record<string, string> = {}) =>
    t.http.post(`${api}/sandbox/postal/shipments/${waybill}/events`).send({ status, ...extra });
  const statusOf = async (dossierId: string) => (await shipments(dossierId))[0]?.status;

  // ------------------------------------------------------------------ creation

  it('creates exactly one shipment at the portal and at the operator, however often and concurrently asked', async () => {
    const id = await dossier();
    const results = await Promise.all(Array.from({ length: 5 }, () => postal.createShipment(id)));
    const again = [await postal.createShipment(id), await postal.createShipment(id)];

    const rows = await shipments(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'created', provider: provider.name, fee_vnd: 25_000 });
    expect(rows[0].waybill).toMatch(/^SBX\d+$/);
    for (const r of [...results, ...again])
      expect(r).toMatchObject({ shipmentId: rows[0].id, waybill: rows[0].waybill });
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1);

    const atOperator = await ledger(id);
    expect(atOperator).toHaveLength(1);
    expect(atOperator[0]).toMatchObject({ waybill: rows[0].waybill, reference: id, status: 'created' });
    expect(atOperator[0].callbackUrl).toBe(`${process.env.PUBLIC_BASE_URL}/api/v1/postal/webhook`);

    expect(await events(rows[0].id)).toEqual([
      expect.objectContaining({ event_id: 'portal:created', status: 'created', applied: true }),
    ]);
    const shippedNotices = (await outbox(id)).filter(
      (o) => o.job_name === 'dossier-event' && o.payload.event === 'shipped',
    );
    expect(shippedNotices).toEqual([
      { job_name: 'dossier-event', payload: { dossierId: id, event: 'shipped', sourceId: rows[0].id } },
    ]);
    expect(await postal.shipmentOf(id)).toEqual({ waybill: rows[0].waybill, status: 'created' });
  });

  it("after a crash between the operator's answer and the insert, the retry gets the same waybill and still one shipment", async () => {
    const id = await dossier();
    // The crashed job: the operator created the shipment, the portal never stored it.
    const first = await provider.createShipment({
      reference: id,
      recipient: BY_POST.recipient,
      address: BY_POST.address,
      phone: BY_POST.phone,
      weightGrams: RESULT_PARCEL_WEIGHT_GRAMS,
    });
    expect(await shipments(id)).toHaveLength(0);
    expect(await ledger(id)).toHaveLength(1);

    const retried = await postal.createShipment(id);
    expect(retried).toMatchObject({ outcome: 'created', waybill: first.waybill });
    const rows = await shipments(id);
    expect(rows).toHaveLength(1);
    expect(rows[0].waybill).toBe(first.waybill);
    expect(await ledger(id)).toEqual([expect.objectContaining({ waybill: first.waybill })]);
  });

  it('creates no shipment for a dossier delivered online', async () => {
    const id = await dossier('online');
    expect(await postal.createShipment(id)).toEqual({ outcome: 'not_by_post' });
    expect(await shipments(id)).toHaveLength(0);
    expect(await ledger(id)).toHaveLength(0);
    expect(await postal.shipmentOf(id)).toBeNull();
    expect((await outbox(id)).filter((o) => o.payload.event === 'shipped')).toHaveLength(0);
  });

  // ------------------------------------------------------------------ tracking

  it('moves picked_up -> in_transit -> delivered through the signed webhook; repeats and late events change nothing', async () => {
    const { dossierId, shipmentId, waybill } = await shipped();

    for (const status of ['picked_up', 'in_transit']) {
      const res = await report(waybill, status);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ delivered: true, portalStatus: 200 });
      expect(await statusOf(dossierId)).toBe(status);
    }
    const delivered = await report(waybill, 'delivered');
    expect(delivered.body).toMatchObject({ delivered: true, portalStatus: 200 });
    expect(await statusOf(dossierId)).toBe('delivered');
    expect(await postal.shipmentOf(dossierId)).toEqual({ waybill, status: 'delivered' });

    const evs = await events(shipmentId);
    expect(evs.map((e: any) => [e.status, e.applied])).toEqual([
      ['created', true],
      ['picked_up', true],
      ['in_transit', true],
      ['delivered', true],
    ]);
    expect(evs[3].raw).toMatchObject({ eventId: delivered.body.eventId, waybill, status: 'delivered' });
    const expectOutbox = async () => {
      const rows = await outbox(dossierId);
      expect(rows.filter((o) => o.job_name === 'shipment-delivered')).toEqual([
        { job_name: 'shipment-delivered', payload: { dossierId, shipmentId } },
      ]);
      expect(rows.filter((o) => o.job_name === 'dossier-event').map((o) => o.payload)).toEqual([
        { dossierId, event: 'shipped', sourceId: shipmentId },
        { dossierId, event: 'delivered', sourceId: shipmentId },
      ]);
      expect(rows.filter((o) => o.job_name === 'shipment-returned')).toHaveLength(0);
    };
    await expectOutbox();

    // The operator delivers the same event again: answered 200, nothing new.
    const repeat = await report(waybill, 'delivered', { eventId: delivered.body.eventId });
    expect(repeat.body).toMatchObject({ delivered: true, portalStatus: 200, eventId: delivered.body.eventId });
    expect(await events(shipmentId)).toHaveLength(4);
    await expectOutbox();

    // A late in_transit (sent before delivery, arriving after): recorded, not applied.
    const late = await report(waybill, 'in_transit', { at: new Date(Date.now() - 3600_000).toISOString() });
    expect(late.body).toMatchObject({ delivered: true, portalStatus: 200 });
    // A returned after delivered: delivered is final.
    const after = await report(waybill, 'returned');
    expect(after.body).toMatchObject({ delivered: true, portalStatus: 200 });
    expect(await statusOf(dossierId)).toBe('delivered');
    const all = await events(shipmentId);
    expect(all.slice(4).map((e: any) => [e.status, e.applied])).toEqual([
      ['in_transit', false],
      ['returned', false],
    ]);
    await expectOutbox();
    expect((await ledger(dossierId))[0].status).toBe('delivered');
  });

  it('a parcel returned to sender writes the returned job and alerts the agency staff', async () => {
    const { dossierId, shipmentId, waybill } = await shipped();
    expect((await report(waybill, 'picked_up')).body.portalStatus).toBe(200);
    expect((await report(waybill, 'returned')).body).toMatchObject({ delivered: true, portalStatus: 200 });
    expect(await statusOf(dossierId)).toBe('returned');

    const rows = await outbox(dossierId);
    expect(rows.filter((o) => o.job_name === 'shipment-returned')).toEqual([
      { job_name: 'shipment-returned', payload: { dossierId, shipmentId } },
    ]);
    expect(rows.filter((o) => o.job_name === 'dossier-event').map((o) => o.payload)).toEqual([
      { dossierId, event: 'shipped', sourceId: shipmentId },
      { dossierId, event: 'shipment_returned', sourceId: shipmentId, audience: 'staff' },
    ]);
    expect(rows.filter((o) => o.job_name === 'shipment-delivered')).toHaveLength(0);

    // Returned is final too.
    expect((await report(waybill, 'delivered')).body.portalStatus).toBe(200);
    expect(await statusOf(dossierId)).toBe('returned');
    expect((await outbox(dossierId)).filter((o) => o.job_name === 'shipment-delivered')).toHaveLength(0);
  });

  // ------------------------------------------------------------------ the webhook's guard

  it('refuses a forged, unsigned or tampered webhook with 401 and changes nothing', async () => {
    const { dossierId, shipmentId, waybill } = await shipped();
    const before = { events: await events(shipmentId), outbox: await outbox(dossierId) };
    const body = JSON.stringify({ eventId: 'EV-forged-1', waybill, status: 'delivered', at: new Date().toISOString() });
    const post = (raw: string, signature?: string) => {
      const req = t.http.post(`${api}/postal/webhook`).set('content-type', 'application/json');
      if (signature !== undefined) req.set('x-postal-signature', signature);
      return req.send(raw);
    };

    const forged = await post(body, signBody('not-the-operator-secret-at-all', body));
    expect(forged.status).toBe(401);
    expect(forged.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(forged.body).toMatchObject({ status: 401 });
    expect((await post(body)).status).toBe(401);
    expect((await post(body, 'sha256=zz')).status).toBe(401);
    // A genuine signature over another body.
    const genuine = JSON.stringify({
      eventId: 'EV-real-1',
      waybill,
      status: 'picked_up',
      at: new Date().toISOString(),
    });
    expect((await post(body, signBody(webhookSecret, genuine))).status).toBe(401);

    expect(await statusOf(dossierId)).toBe('created');
    expect(await events(shipmentId)).toEqual(before.events);
    expect(await outbox(dossierId)).toEqual(before.outbox);

    // Signed but not an event: 400; signed for a waybill never created: 404. Neither records anything.
    const malformed = JSON.stringify({ eventId: 'EV-x', waybill, status: 'lost', at: 'yesterday' });
    expect((await post(malformed, signBody(webhookSecret, malformed))).status).toBe(400);
    const unknown = JSON.stringify({
      eventId: 'EV-y',
      waybill: 'SBX0000000',
      status: 'delivered',
      at: new Date().toISOString(),
    });
    expect((await post(unknown, signBody(webhookSecret, unknown))).status).toBe(404);
    expect(await events(shipmentId)).toEqual(before.events);

    // The same genuine event, posted directly, is taken.
    const ok = await post(genuine, signBody(webhookSecret, genuine));
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ ok: true });
    expect(await statusOf(dossierId)).toBe('picked_up');
  });

  // ------------------------------------------------------------------ the sandbox operator itself

  it('the sandbox operator checks its API key and knows only its own waybills', async () => {
    const create = (key: string | undefined) => {
      const req = t.http.post(`${api}/sandbox/postal/api/shipments`);
      if (key !== undefined) req.set('x-api-key', key);
      return req.send({
        reference: 'ref-key-check',
        recipient: 'A',
        address: '1 Street, City',
        phone: '0901234567',
        weightGrams: 100,
        callbackUrl: `${t.url}/x`,
      });
    };
    expect((await create('wrong-key-wrong-key')).status).toBe(401);
    expect((await create(undefined)).status).toBe(401);
    expect(await ledger('ref-key-check')).toHaveLength(0);
    expect((await report('SBX999999999', 'delivered')).status).toBe(404);
    const { waybill } = await shipped();
    expect((await report(waybill, 'lost')).status).toBe(400);
  });
});
