import { DataSource } from 'typeorm';
import { createSuiteDatabase, dropDatabase } from '../../../test/support/db';
import { dataSourceOptions } from '../../database/data-source';
import { PostalSandboxRepository } from '../../delivery/postal/sandbox/postal-sandbox.repository';
import { SandboxVnpayRepository } from './sandbox-vnpay.repository';

/** The sandboxes' compare-and-set statements: of two racing requests one wins, the other sees the winner's row. */
describe('Sandbox ledgers (Postgres): SandboxVnpayRepository, PostalSandboxRepository', () => {
  let db: { name: string; url: string };
  let ds: DataSource;
  let vnpay: SandboxVnpayRepository;
  let postal: PostalSandboxRepository;

  beforeAll(async () => {
    db = await createSuiteDatabase();
    ds = await new DataSource(dataSourceOptions(db.url)).initialize();
    vnpay = new SandboxVnpayRepository(ds);
    postal = new PostalSandboxRepository(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
    await dropDatabase(db.name);
  });

  const opening = (txnRef: string) => ({
    txnRef,
    tmnCode: 'TESTTMN1',
    amountRaw: '7000000',
    orderInfo: 'Thanh toan ho so',
    returnUrl: 'http://127.0.0.1/return',
    createDate: '20260101090000',
  });

  it('a pay request is recorded once per reference; a second one with another amount does not change it', async () => {
    await vnpay.insertPending(opening('REFONCE1'));
    await vnpay.insertPending({ ...opening('REFONCE1'), amountRaw: '1' });
    expect(await vnpay.find('REFONCE1')).toMatchObject({ status: 'pending', amount_raw: '7000000', ipn_attempts: 0 });
    expect(await vnpay.find('UNKNOWN1')).toBeNull();
  });

  it('pay and cancel racing: exactly one decides; the transaction keeps that outcome', async () => {
    await vnpay.insertPending(opening('RACE1'));
    const [paid, cancelled] = await Promise.all([
      vnpay.decideIfPending('RACE1', 'pay', 'NCB', '20260101090500'),
      vnpay.decideIfPending('RACE1', 'cancel', 'NCB', '20260101090500'),
    ]);
    expect([paid, cancelled].filter(Boolean)).toHaveLength(1);
    const winner = (paid ?? cancelled)!;
    expect((await vnpay.find('RACE1'))!.status).toBe(winner.status);
    if (paid) expect(paid.transaction_no).toMatch(/^\d+$/);
    expect(await vnpay.decideIfPending('RACE1', 'pay', 'NCB', '20260101090600')).toBeUndefined();
  });

  it('refunds: only a paid transaction, not above the paid amount, a full refund of the whole amount, once', async () => {
    await vnpay.insertPending(opening('REFUND1'));
    const paid = (await vnpay.decideIfPending('REFUND1', 'pay', 'NCB', '20260101091000'))!;
    const request = {
      txnRef: 'REFUND1',
      tmnCode: 'TESTTMN1',
      transactionDate: '20260101090000',
      amount: '7000000',
      transactionType: '02',
      transactionNo: '',
    };
    expect(await vnpay.refundIfPaid({ ...request, amount: '7000001', transactionType: '03' })).toBeUndefined();
    expect(await vnpay.refundIfPaid({ ...request, amount: '100' })).toBeUndefined(); // full refund of another amount
    expect(await vnpay.refundIfPaid({ ...request, transactionDate: '20260101090001' })).toBeUndefined();
    const [a, b] = await Promise.all([
      vnpay.refundIfPaid({ ...request, transactionNo: paid.transaction_no! }),
      vnpay.refundIfPaid(request),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect((await vnpay.find('REFUND1'))!.status).toBe('refunded');
  });

  it('IPN attempts are counted with the last answer', async () => {
    await vnpay.insertPending(opening('IPN1'));
    await vnpay.recordIpnAttempt('IPN1', 'HTTP 500: ');
    await vnpay.recordIpnAttempt('IPN1', '{"RspCode":"00","Message":"Confirm Success"}');
    expect(await vnpay.find('IPN1')).toMatchObject({
      ipn_attempts: 2,
      ipn_last_response: '{"RspCode":"00","Message":"Confirm Success"}',
    });
  });

  it('postal: one waybill per reference however concurrently asked; the status only moves forward', async () => {
    const parcel = {
      name: 'Lê Văn C',
      address: '1 Lê Lợi, Vinh',
      phone: '0912345678',
      weightGrams: 300,
      feeVnd: 25000,
    };
    const rows = await Promise.all(
      Array.from({ length: 5 }, () => postal.insertOnce('REF-POSTAL-1', parcel, 'http://127.0.0.1/cb')),
    );
    const waybills = new Set<string>();
    for (const r of rows) waybills.add((r ?? (await postal.findByReference('REF-POSTAL-1')))!.waybill);
    expect(waybills.size).toBe(1);
    const [waybill] = [...waybills];
    expect(waybill).toMatch(/^SBX\d+$/);
    expect((await postal.findByWaybill(waybill))!.recipient).toEqual(parcel);

    await postal.advance(waybill, 'in_transit', 2);
    await postal.advance(waybill, 'picked_up', 1);
    expect((await postal.findByWaybill(waybill))!.status).toBe('in_transit');
    await postal.advance(waybill, 'delivered', 3);
    await postal.advance(waybill, 'returned', 3);
    expect((await postal.findByWaybill(waybill))!.status).toBe('delivered');
    expect((await postal.list('REF-POSTAL-1')).map((r) => r.waybill)).toEqual([waybill]);
    expect(await postal.list('REF-NONE')).toEqual([]);
  });
});
