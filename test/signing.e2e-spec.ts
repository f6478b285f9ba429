import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, issueCertificate, toP12 } from '../src/signing/demo-ca';
import { signPdf } from '../src/signing/pdf-signature';
import { SigningService } from '../src/signing/signing.service';
import { createTestApp, TestApp } from './support/app';
import { certificateFacts, essCertIdV2, OIDS, readPdfSignature } from './support/pdf-cms';
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
} from './support/factories';

const api = '/api/v1';
const AGENCY = 'Sở Tư pháp TP. Hồ Chí Minh';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** pdfsig's report of `pdf`, or null (with a clear message) where poppler-utils is not installed. */
function pdfsig(pdf: Buffer): string | null {
  let bin: string;
  try {
    bin = execFileSync('which', ['pdfsig']).toString().trim();
  } catch {
    console.warn('SKIPPED the pdfsig check: pdfsig (Debian poppler-utils) is not installed; CI installs it (.ci/run).');
    return null;
  }
  const file = join(mkdtempSync(join(tmpdir(), 'pdfsig-')), 'r.pdf');
  writeFileSync(file, pdf);
  try {
    return execFileSync(bin, [file]).toString();
  } catch (e) {
    return String((e as { stdout?: Buffer }).stdout ?? ''); // pdfsig exits non-zero on an invalid signature
  }
}

/**
 * Signed results and receipts: a generated result is signed by its agency (in process and by pdfsig), an
 * altered copy is not valid, an uploaded result must be signed by a trusted certificate, /verify names the
 * signer, and the payment receipt is signed too.
 */
describe('signed results and receipts', () => {
  let t: TestApp;
  let signing: SigningService;
  beforeAll(async () => {
    t = await createTestApp();
    signing = t.app.get(SigningService);
  });
  afterAll(() => t.close());

  async function act(who: Session, id: string, action: string, body: object = {}) {
    const res = await t.http.post(`${api}/applications/${id}/actions/${action}`).set(who.auth).send(body);
    if (res.status !== 200) throw new Error(`${action}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** A judicial-record dossier paid, received and approved (its receipt issued): ready for its result. */
  async function approved() {
    const citizen = await newCitizen(t);
    const clerk = await staff(t, 'clerk', 'sotuphap');
    const supervisor = await staff(t, 'supervisor', 'sotuphap');
    const d = await t.http
      .post(`${api}/applications`)
      .set(citizen.auth)
      .send({
        procedureCode: DEMO.judicialRecord,
        formData: {
          fullName: 'Lê Thị Ánh',
          dateOfBirth: '1990-01-02',
          placeOfBirth: 'Huế',
          certificateType: 1,
          purpose: 'Xin việc',
        },
      })
      .expect(201);
    await uploadDocument(t, citizen, d.body.id, 'id_card').expect(201);
    await t.http.post(`${api}/applications/${d.body.id}/submit`).set(citizen.auth).set(idem()).expect(200);
    const paid = await payInSandbox(t, citizen, d.body.id);
    await t.drain();
    await act(clerk, d.body.id, 'receive');
    await act(supervisor, d.body.id, 'approve', { data: { finding: 'Không có án tích.' } });
    return { citizen, clerk, id: d.body.id as string, attemptId: paid.attemptId };
  }

  const download = async (who: Session, id: string) =>
    (await t.http.get(`${api}/applications/${id}/result`).set(who.auth).buffer(true).parse(binary).expect(200))
      .body as Buffer;

  /** The agency's development certificate, as kept in signing_keys. */
  async function agencyCertificate(code: string): Promise<string> {
    const [{ cert_pem }]: { cert_pem: string }[] = await t.db.query(
      `SELECT cert_pem FROM signing_keys WHERE subject = $1`,
      [code],
    );
    return cert_pem;
  }

  it('a generated result is signed by its agency as PAdES B-B: valid in process and for pdfsig; one changed byte is not; /verify names the signer', async () => {
    const { citizen, clerk, id } = await approved();
    const issued = await act(clerk, id, 'issue_result');
    await t.drain();
    const pdf = await download(citizen, id);
    // Signed at the issue time (the signature dictionary's /M: whole seconds).
    const signedAt = new Date(Math.floor(Date.parse(issued.result.issuedAt) / 1000) * 1000);
    const check = await signing.verify(pdf);
    expect(check).toMatchObject({
      valid: true,
      coversWholeDocument: true,
      signer: { name: AGENCY, organization: AGENCY },
      signedAt,
      subFilter: 'ETSI.CAdES.detached',
    });
    // PAdES B-B: the time in /M, no CMS signing-time; signing-certificate-v2 names the agency's certificate.
    const sig = readPdfSignature(pdf);
    expect(sig.subFilter).toBe('ETSI.CAdES.detached');
    expect(sig.m).toBe(`D:${signedAt.toISOString().replace(/[-:T]|\.\d+Z$/g, '')}Z`);
    expect(sig.digestAlgorithm).toBe(OIDS.sha256);
    expect(sig.attributes.map((a) => a.type).sort()).toEqual(
      [OIDS.contentType, OIDS.messageDigest, OIDS.signingCertificateV2].sort(),
    );
    const cert = certificateFacts(await agencyCertificate('000.00.12.H56'));
    const ess = essCertIdV2(sig.attributes.find((a) => a.type === OIDS.signingCertificateV2)!.value);
    expect([ess.hashAlgorithm, ess.certHash, ess.serial]).toEqual([OIDS.sha256, cert.sha256, cert.serial]);
    expect(check.signer?.serial).toBe(cert.serial);
    // The stored hash (QR, "compare a file") is of the signed bytes.
    const code = issued.result.verificationCode as string;
    const record = await t.http
      .get(`${api}/verify/${code}`)
      .query({ sha256: sha256(pdf) })
      .expect(200);
    expect(record.body).toMatchObject({
      valid: true,
      signer: { organization: AGENCY, name: AGENCY, signedAt: signedAt.toISOString() },
    });
    expect(JSON.stringify(record.body)).not.toMatch(/Ánh|@/);
    expect((await t.http.post(`${api}/verify/${code}`).attach('file', pdf, 'kq.pdf').expect(200)).body.valid).toBe(
      true,
    );

    const tampered = Buffer.from(pdf);
    tampered[300] ^= 1;
    expect(await signing.verify(tampered)).toMatchObject({ valid: false, problem: 'invalid' });

    const report = pdfsig(pdf);
    if (report !== null) {
      expect(report).toContain('Signature Validation: Signature is Valid.');
      expect(report).toContain(`Signer Certificate Common Name: ${AGENCY}`);
      expect(report).toContain('Signature Type: ETSI.CAdES.detached');
      expect(report).toContain('Total document signed');
      expect(pdfsig(tampered)).not.toContain('Signature is Valid.');
    }
  });

  it('an uploaded result: unsigned, outside the trust list, or altered after signing is refused with the reason; a validly signed one is issued and /verify names its signer', async () => {
    const { citizen, clerk, id } = await approved();
    const upload = (pdf: Buffer) =>
      t.http.post(`${api}/applications/${id}/result`).set(clerk.auth).attach('file', pdf, 'kq.pdf');

    const unsigned = await upload(await plainPdf());
    expect([unsigned.status, unsigned.headers['content-type'], unsigned.body.detail]).toEqual([
      422,
      expect.stringContaining('application/problem+json'),
      'The file has no signature.',
    ]);

    // The same agency name, a certificate authority the portal does not trust.
    const other = createCa('Cổng dịch vụ công');
    const p12 = toP12(issueCertificate(other, { name: AGENCY, code: '000.00.12.H56' }), [other.certPem], 'x');
    const outsider = await signPdf(await plainPdf(), { p12, passphrase: 'x', name: AGENCY, signingTime: new Date() });
    const untrusted = await upload(outsider);
    expect([untrusted.status, untrusted.body.detail]).toEqual([422, expect.stringMatching(/not trusted/)]);

    // A file signed as the portal signed before PAdES (adbe.pkcs7.detached) is still read: here its CA (a test
    // fixture's demo CA) is outside the trust list, so "not trusted", not "invalid".
    const legacy = readFileSync(`${__dirname}/fixtures/signing/adbe-pkcs7-detached.pdf`);
    const old = await upload(legacy);
    expect([old.status, old.body.detail]).toEqual([422, expect.stringMatching(/not trusted/)]);

    const good = await signedPdf(t, 'sotuphap');
    const appended = Buffer.concat([good, Buffer.from('\n% added later\n%%EOF\n')]);
    const partial = await upload(appended);
    expect([partial.status, partial.body.detail]).toEqual([422, expect.stringMatching(/does not cover the whole/)]);

    expect((await upload(good)).status).toBe(201);
    const issued = await act(clerk, id, 'issue_result');
    await t.drain();
    expect(sha256(await download(citizen, id))).toBe(sha256(good));
    const record = await t.http.get(`${api}/verify/${issued.result.verificationCode}`).expect(200);
    expect(record.body.signer).toEqual({ organization: AGENCY, name: AGENCY, signedAt: expect.any(String) });
  });

  it('the payment receipt is signed by the collecting agency, the same bytes on every download', async () => {
    const { citizen, id, attemptId } = await approved();
    const get = async () =>
      (
        await t.http
          .get(`${api}/applications/${id}/payments/${attemptId}/receipt`)
          .set(citizen.auth)
          .buffer(true)
          .parse(binary)
          .expect(200)
      ).body as Buffer;
    const receipt = await get();
    expect(await signing.verify(receipt)).toMatchObject({
      valid: true,
      coversWholeDocument: true,
      signer: { organization: AGENCY },
      subFilter: 'ETSI.CAdES.detached',
    });
    expect(readPdfSignature(receipt).attributes.map((a) => a.type)).not.toContain(OIDS.signingTime);
    expect(receipt.toString('latin1')).toMatch(/\/Reason \(|\/Reason <FEFF/);
    expect(sha256(await get())).toBe(sha256(receipt));
    const report = pdfsig(receipt);
    if (report !== null) {
      expect(report).toContain('Signature Validation: Signature is Valid.');
      expect(report).toContain('Signature Type: ETSI.CAdES.detached');
    }
  });
});
