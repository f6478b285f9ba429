import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// s3rver: an S3-compatible server on loopback, so the portal's real S3 client code runs over HTTP.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver');
import { createTestApp, TestApp } from './support/app';
import { binary, DEMO, newCitizen, PDF, uploadDocument } from './support/factories';

/** With S3_* set, documents and results live in the object store, shared by every replica. */
describe('S3-compatible file storage', () => {
  let t: TestApp;
  let s3: { run(): Promise<{ port: number }>; close(): Promise<void> };
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portal-s3-'));
    s3 = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: dir,
      configureBuckets: [{ name: 'portal-files' }],
    });
    const { port } = await s3.run();
    t = await createTestApp({
      env: {
        S3_BUCKET: 'portal-files',
        S3_ENDPOINT: `http://127.0.0.1:${port}`,
        S3_ACCESS_KEY_ID: 'S3RVER',
        S3_SECRET_ACCESS_KEY: 'S3RVER',
        S3_FORCE_PATH_STYLE: 'true',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close();
    rmSync(dir, { recursive: true, force: true });
    for (const k of ['S3_BUCKET', 'S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY']) delete process.env[k];
  });

  it('stores an uploaded document in the bucket, not on local disk, and serves it back', async () => {
    const citizen = await newCitizen(t);
    const d = await t.http
      .post('/api/v1/applications')
      .set(citizen.auth)
      .send({ procedureCode: DEMO.birthExtract })
      .expect(201);
    const doc = await uploadDocument(t, citizen, d.body.id, 'id_card', PDF, 'cccd.pdf').expect(201);
    const [{ storage_key }] = await t.db.query(`SELECT storage_key FROM dossier_documents WHERE id = $1`, [
      doc.body.id,
    ]);
    // The object is in the S3 server's data directory under the bucket.
    const listing = JSON.stringify(readdirSync(join(dir, 'portal-files'), { recursive: true } as never));
    expect(listing).toContain(storage_key.split('/').pop());
    expect(readdirSync(process.env.STORAGE_DIR!)).toEqual([]);
    const back = await t.http
      .get(`/api/v1/applications/${d.body.id}/documents/${doc.body.id}`)
      .set(citizen.auth)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(Buffer.compare(back.body, PDF)).toBe(0);
  });
});
