import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { renderResultDocument } from '../pdf/render';
import { createCa, isDemoCertificate, issueCertificate, toP12 } from './demo-ca';
import { checkPdfSignature, parseCertificates, signPdf } from './pdf-signature';

/** Signing a rendered result and checking it: in process, and (where installed) with poppler's pdfsig. */
describe('PDF signatures', () => {
  const agency = { name: 'Sở Tư pháp TP. Hồ Chí Minh', code: '000.00.12.H56' };
  const ca = createCa();
  const key = issueCertificate(ca, agency);
  const p12 = toP12(key, [ca.certPem], 'pw');
  const trust = parseCertificates(ca.certPem);
  const at = new Date('2025-06-02T03:04:05Z');
  let pdf: Buffer;
  let signed: Buffer;

  beforeAll(async () => {
    pdf = await renderResultDocument({
      agencyName: agency.name,
      title: 'PHIẾU LÝ LỊCH TƯ PHÁP',
      number: '000001/2025/KQ',
      dossierCode: 'HS-0001',
      citizenName: 'Đỗ Văn Hùng',
      decision: 'Chấp thuận',
      signerName: agency.name,
      signerTitle: 'Giám đốc',
      issuedAt: at,
      verificationCode: 'ABCDEFGHJK',
      verifyUrl: 'http://127.0.0.1:3000/verify/ABCDEFGHJK',
    });
    signed = await signPdf(pdf, { p12, passphrase: 'pw', name: agency.name, signingTime: at });
  });

  it('signs: valid, covering the whole document, by the agency, at the given time; deterministic', async () => {
    expect(signed.subarray(0, pdf.length).equals(pdf)).toBe(true); // an incremental update of the rendered file
    expect(checkPdfSignature(signed, trust)).toEqual({
      valid: true,
      coversWholeDocument: true,
      signedAt: at,
      signer: { name: agency.name, organization: agency.name, serial: expect.stringMatching(/^[0-9a-f]+$/) },
    });
    const again = await signPdf(pdf, { p12, passphrase: 'pw', name: agency.name, signingTime: at });
    expect(again.equals(signed)).toBe(true);
    expect(signed.toString('latin1')).toContain('/SubFilter /adbe.pkcs7.detached');
  });

  it('refuses an unsigned file, a changed byte, content appended after signing', () => {
    expect(checkPdfSignature(pdf, trust)).toMatchObject({ valid: false, problem: 'no-signature' });
    const tampered = Buffer.from(signed);
    tampered[200] ^= 1; // one byte of the rendered document
    expect(checkPdfSignature(tampered, trust)).toMatchObject({ valid: false, problem: 'invalid' });
    const appended = Buffer.concat([signed, Buffer.from('1 0 obj\n<<>>\nendobj\n%%EOF\n')]);
    expect(checkPdfSignature(appended, trust)).toMatchObject({
      valid: false,
      problem: 'not-whole-document',
      coversWholeDocument: false,
    });
    expect(checkPdfSignature(Buffer.from('%PDF-1.4 /ByteRange [0 10 20 5] garbage'), trust)).toMatchObject({
      valid: false,
      problem: 'invalid',
    });
  });

  it('refuses a signer outside the trust list, and a certificate expired at the signing time', async () => {
    const otherCa = createCa('Một tổ chức khác');
    const outsider = toP12(issueCertificate(otherCa, agency), [otherCa.certPem], '');
    const byOutsider = await signPdf(pdf, { p12: outsider, passphrase: '', name: agency.name, signingTime: at });
    expect(checkPdfSignature(byOutsider, trust)).toMatchObject({ valid: false, problem: 'untrusted' });
    expect(checkPdfSignature(byOutsider, [])).toMatchObject({ valid: false, problem: 'untrusted' });
    const old = issueCertificate(ca, agency, {
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2021-01-01T00:00:00Z'),
    });
    const expired = await signPdf(pdf, {
      p12: toP12(old, [ca.certPem], ''),
      passphrase: '',
      name: agency.name,
      signingTime: at,
    });
    expect(checkPdfSignature(expired, trust)).toMatchObject({ valid: false, problem: 'expired' });
  });

  it('marks the demo CA (production refuses it), not an agency certificate', () => {
    expect(isDemoCertificate(forge.pki.certificateFromPem(ca.certPem))).toBe(true);
    expect(isDemoCertificate(forge.pki.certificateFromPem(key.certPem))).toBe(false);
  });

  it('pdfsig (poppler-utils) reports the signature valid, by the agency', () => {
    let pdfsig: string;
    try {
      pdfsig = execFileSync('which', ['pdfsig']).toString().trim();
    } catch {
      console.warn('SKIPPED: pdfsig (Debian poppler-utils) is not installed; CI installs it (.ci/run).');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'pdfsig-'));
    writeFileSync(join(dir, 'r.pdf'), signed);
    const out = execFileSync(pdfsig, [join(dir, 'r.pdf')]).toString();
    expect(out).toContain('Signature Validation: Signature is Valid.');
    expect(out).toContain(`Signer Certificate Common Name: ${agency.name}`);
    expect(out).toContain('Signature Type: adbe.pkcs7.detached');
    writeFileSync(
      join(dir, 'bad.pdf'),
      Buffer.concat([signed.subarray(0, 200), Buffer.from('X'), signed.subarray(201)]),
    );
    let bad = '';
    try {
      bad = execFileSync(pdfsig, [join(dir, 'bad.pdf')]).toString();
    } catch (e) {
      bad = String((e as { stdout?: Buffer }).stdout ?? '');
    }
    expect(bad).not.toContain('Signature is Valid.');
  });
});
