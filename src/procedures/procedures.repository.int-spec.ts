import { DataSource } from 'typeorm';
import { createSuiteDatabase, dropDatabase } from '../../test/support/db';
import { dataSourceOptions } from '../database/data-source';
import { ProceduresRepository } from './procedures.repository';

describe('ProceduresRepository (Postgres)', () => {
  let db: { name: string; url: string };
  let ds: DataSource;
  let procedures: ProceduresRepository;

  beforeAll(async () => {
    db = await createSuiteDatabase();
    ds = await new DataSource(dataSourceOptions(db.url)).initialize();
    procedures = new ProceduresRepository(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
    await dropDatabase(db.name);
  });

  it('a published version is published once and is immutable afterwards (the database refuses changes)', async () => {
    const procedure = (await procedures.findByCode('1.004884'))!;
    const published = (await procedures.findVersion(procedure.id, 1))!;
    expect(published.publishedAt).toBeInstanceOf(Date);
    expect(await procedures.publish(published.id)).toBeUndefined();
    published.processingDays = 99;
    await expect(ds.getRepository(published.constructor).save(published)).rejects.toThrow();
    expect((await procedures.findVersion(procedure.id, 1))!.processingDays).not.toBe(99);
  });

  it('versions are numbered in order, and the catalog shows the newest published one', async () => {
    const procedure = (await procedures.findByCode('1.004884'))!;
    const v1 = (await procedures.findVersion(procedure.id, 1))!;
    const draft = {
      formSchema: v1.formSchema,
      requiredDocuments: v1.requiredDocuments,
      fees: v1.fees,
      feeTiming: v1.feeTiming,
      processingDays: 2,
      deliveryOptions: v1.deliveryOptions,
      workflow: v1.workflow,
    } as never;
    const [a, b] = await Promise.all([
      procedures.insertVersion(procedure.id, draft),
      procedures.insertVersion(procedure.id, draft).catch(() => procedures.insertVersion(procedure.id, draft)),
    ]);
    expect([a, b].sort()).toEqual([2, 3]);
    expect((await procedures.catalogEntry('1.004884'))?.version).toBe(1);
    const v2 = (await procedures.findVersion(procedure.id, 2))!;
    expect(await procedures.publish(v2.id)).toBeInstanceOf(Date);
    expect((await procedures.catalogEntry('1.004884'))?.version).toBe(2);
  });
});
