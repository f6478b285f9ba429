import { DataSource } from 'typeorm';
import { createSuiteDatabase, dropDatabase } from '../../test/support/db';
import { dataSourceOptions } from '../database/data-source';
import { ShipmentsRepository } from './postal/shipments.repository';
import { ResultsRepository } from './results.repository';

/**
 * The delivery invariants on real Postgres, without HTTP: one issued result
 * per dossier and one staged upload at a time, a rendered file stored once;
 * one shipment per dossier (and per waybill), each tracking event recorded once.
 */
describe('ResultsRepository and ShipmentsRepository (Postgres)', () => {
  let dbName: string;
  let ds: DataSource;
  let results: ResultsRepository;
  let shipments: ShipmentsRepository;
  let clerkId: string;

  beforeAll(async () => {
    const db = await createSuiteDatabase();
    dbName = db.name;
    ds = await new DataSource(dataSourceOptions(db.url, { extra: { max: 6 } })).initialize();
    results = new ResultsRepository(ds);
    shipments = new ShipmentsRepository(ds);
    [{ id: clerkId }] = await ds.query(`SELECT id FROM accounts WHERE role = 'clerk' ORDER BY email LIMIT 1`);
  });

  afterAll(async () => {
    await ds?.destroy();
    if (dbName) await dropDatabase(dbName);
  });

  async function newDossier(delivery: object = { method: 'online' }): Promise<string> {
    const [row] = await ds.query(
      `INSERT INTO dossiers (agency_id, procedure_id, procedure_version_id, applicant_id, state, delivery)
       SELECT a.id, v.procedure_id, v.id, c.id, 'approved', $1
         FROM procedure_versions v, (SELECT id FROM agencies ORDER BY code LIMIT 1) a,
              (SELECT id FROM accounts WHERE role = 'citizen' ORDER BY email LIMIT 1) c
        WHERE v.published_at IS NOT NULL LIMIT 1
       RETURNING id`,
      [delivery],
    );
    return row.id;
  }

  const issue = (code: string) => ({ code, issuedBy: null, decision: 'Chấp thuận', at: new Date() });
  const uniqueCode = () => Math.random().toString(36).slice(2, 12).toUpperCase();

  describe('results', () => {
    it('issues one result per dossier: a second one, even concurrent, is refused', async () => {
      const dossierId = await newDossier();
      const issued = await Promise.all([
        ds.transaction((m) => results.insertGenerating(m, dossierId, issue(uniqueCode()))),
        ds.transaction((m) => results.insertGenerating(m, dossierId, issue(uniqueCode()))),
      ]);
      expect(issued.filter((id) => id !== null)).toHaveLength(1);
      expect(await results.summaryOf(dossierId)).toMatchObject({
        status: 'generating',
        number: expect.stringMatching(/^\d{6}\/\d{4}\/KQ$/),
      });
      // A staged upload cannot become a second result either.
      const stagedId = await ds.transaction(async (m) => {
        expect(await results.hasIssuedOrGenerating(m, dossierId)).toBe(true);
        const staged = await results.insertStaged(m, {
          dossierId,
          storageKey: `results/${dossierId}/x`,
          sha256: 'a'.repeat(64),
          sizeBytes: 10,
          uploadedBy: clerkId,
        });
        return staged.id;
      });
      expect(await ds.transaction((m) => results.issueStaged(m, stagedId, issue(uniqueCode())))).toBeNull();
    });

    it('keeps one staged upload at a time, and issues it', async () => {
      const dossierId = await newDossier();
      const stage = (sha: string) =>
        ds.transaction(async (m) => {
          await results.discardStaged(m, dossierId);
          return results.insertStaged(m, {
            dossierId,
            storageKey: `results/${dossierId}/${sha}`,
            sha256: sha.repeat(64),
            sizeBytes: 10,
            uploadedBy: clerkId,
          });
        });
      await stage('a');
      const second = await stage('b');
      expect(second).toMatchObject({ status: 'staged', sha256: 'b'.repeat(64), sizeBytes: 10 });
      // Without discarding, a second staged row breaks the one-staged index.
      await expect(
        ds.transaction((m) =>
          results.insertStaged(m, {
            dossierId,
            storageKey: 'k',
            sha256: 'c'.repeat(64),
            sizeBytes: 1,
            uploadedBy: clerkId,
          }),
        ),
      ).rejects.toThrow(/dossier_results_one_staged/);

      const code = uniqueCode();
      const resultId = await ds.transaction(async (m) =>
        results.issueStaged(m, (await results.stagedId(m, dossierId))!, issue(code)),
      );
      expect(resultId).toBe(second.id);
      expect(await results.hasIssuedFile(dossierId)).toBe(true);
      expect(await results.byVerificationCode(code)).toMatchObject({ sha256: 'b'.repeat(64) });
      expect(await results.issuedFile(dossierId)).toMatchObject({
        id: second.id,
        storage_key: `results/${dossierId}/b`,
      });
    });

    it('stores a rendered file once', async () => {
      const dossierId = await newDossier();
      const resultId = (await ds.transaction((m) => results.insertGenerating(m, dossierId, issue(uniqueCode())))) ?? '';
      expect(await results.hasIssuedFile(dossierId)).toBe(false);
      expect(await results.toRender(resultId)).toMatchObject({ id: resultId, status: 'generating', sha256: null });
      const file = { storageKey: `results/${dossierId}/${resultId}.pdf`, sha256: 'd'.repeat(64), sizeBytes: 1234 };
      const stored = await Promise.all([
        ds.transaction((m) => results.markRendered(m, resultId, file)),
        ds.transaction((m) => results.markRendered(m, resultId, file)),
      ]);
      expect(stored.filter(Boolean)).toHaveLength(1);
      expect(await results.hasIssuedFile(dossierId)).toBe(true);
      await results.recordDownload(resultId, { accountId: null, via: 'link', ip: '127.0.0.1' });
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM result_downloads WHERE result_id = $1`, [
        resultId,
      ]);
      expect(n).toBe(1);
    });
  });

  describe('shipments', () => {
    const byPost = { method: 'post', recipient: 'Nguyễn Văn A', address: '1 Lê Lợi, Quận 1', phone: '0901234567' };

    it('creates one shipment per dossier: concurrent creations give one row, the other is a no-op', async () => {
      const dossierId = await newDossier(byPost);
      expect(await shipments.deliveryOf(dossierId)).toEqual(byPost);
      const created = await Promise.all(
        ['W-1', 'W-2'].map((waybill) =>
          ds.transaction((m) => shipments.insert(m, { dossierId, provider: 'vnpost', waybill, feeVnd: 30_000 })),
        ),
      );
      const ids = created.filter((id) => id !== undefined);
      expect(ids).toHaveLength(1);
      expect(await shipments.findByDossier(dossierId)).toMatchObject({ id: ids[0], status: 'created' });
    });

    it('gives a waybill to one dossier only', async () => {
      const [a, b] = [await newDossier(byPost), await newDossier(byPost)];
      expect(
        await ds.transaction((m) =>
          shipments.insert(m, { dossierId: a, provider: 'vnpost', waybill: 'W-9', feeVnd: 1 }),
        ),
      ).toBeDefined();
      expect(
        await ds.transaction((m) =>
          shipments.insert(m, { dossierId: b, provider: 'vnpost', waybill: 'W-9', feeVnd: 1 }),
        ),
      ).toBeUndefined();
      expect(await shipments.findByDossier(b)).toBeNull();
    });

    it('records each tracking event once and moves the status', async () => {
      const dossierId = await newDossier(byPost);
      const shipmentId = (await ds.transaction((m) =>
        shipments.insert(m, { dossierId, provider: 'vnpost', waybill: 'W-20', feeVnd: 1 }),
      ))!;
      await ds.transaction((m) => shipments.recordCreated(m, shipmentId, JSON.stringify({ source: 'create' })));
      const event = {
        shipmentId,
        eventId: 'e-1',
        status: 'delivered' as const,
        applied: true,
        raw: JSON.stringify({ eventId: 'e-1', waybill: 'W-20', status: 'delivered', at: new Date().toISOString() }),
      };
      const recorded = await ds.transaction(async (m) => {
        const shipment = await shipments.lockByWaybill(m, 'vnpost', 'W-20');
        expect(shipment).toMatchObject({ id: shipmentId, dossier_id: dossierId, status: 'created' });
        const first = await shipments.recordEvent(m, event);
        const again = await shipments.recordEvent(m, event);
        await shipments.setStatus(m, shipmentId, 'delivered');
        return [first, again];
      });
      expect(recorded).toEqual([true, false]);
      expect(await shipments.findByDossier(dossierId)).toMatchObject({ status: 'delivered' });
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM shipment_events WHERE shipment_id = $1`, [
        shipmentId,
      ]);
      expect(n).toBe(2);
    });

    it('answers undefined for an unknown dossier', async () => {
      expect(await shipments.deliveryOf('00000000-0000-4000-8000-000000000000')).toBeUndefined();
    });
  });
});
