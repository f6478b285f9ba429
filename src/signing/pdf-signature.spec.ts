import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import {
  certificateFacts,
  essCertIdParts,
  essCertIdV2,
  flipLast,
  OIDS,
  readPdfSignature,
  resign,
} from '../../test/support/pdf-cms';
import { renderResultDocument } from '../pdf/render';
import { createCa, isDemoCertificate, issueCertificate, toP12 } from './demo-ca';
import { checkPdfSignature, parseCertificates, parsePdfDate, signPdf } from './pdf-signature';

/** pdfsig's report of the file, or null where poppler-utils is not installed (said once, as a warning). */
function pdfsig(pdf: Buffer): string | null {
  let bin: string;
  try {
    bin = execFileSync('which', ['pdfsig']).toString().trim();
  } catch {
    console.warn('SKIPPED: pdfsig (Debian poppler-utils) is not installed; CI installs it (.ci/run).');
    return null;
  }
  const file = join(mkdtempSync(join(tmpdir(), 'pdfsig-')), 'r.pdf');
  writeFileSync(file, pdf);
  try {
    return execFileSync(bin, [file]).toString();
  } catch (e) {
    return String((e as { stdout?: Buffer }).stdout ?? ''); // non-zero exit on an invalid signature
  }
}

/** A PDF signed by the portal before PAdES (adbe.pkcs7.detached, CMS signingTime), with its demo CA. */
const legacy = {
  pdf: readFileSync(join(__dirname, '../../test/fixtures/signing/adbe-pkcs7-detached.pdf')),
  trust: parseCertificates(
    readFileSync(join(__dirname, '../../test/fixtures/signing/adbe-pkcs7-detached-ca.pem'), 'utf8'),
  ),
};

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
      signer: { name: agency.name, organization: agency.name, serial: certificateFacts(key.certPem).serial },
      subFilter: 'ETSI.CAdES.detached',
    });
    const again = await signPdf(pdf, { p12, passphrase: 'pw', name: agency.name, signingTime: at });
    expect(again.equals(signed)).toBe(true);
  });

  it('is PAdES B-B: ETSI.CAdES.detached, the time in /M, SHA-256, content-type, message-digest and signing-certificate-v2 naming the agency certificate, no signing-time', () => {
    const sig = readPdfSignature(signed);
    expect(sig.subFilter).toBe('ETSI.CAdES.detached');
    expect(sig.m).toBe('D:20250602030405Z');
    expect(sig.digestAlgorithm).toBe(OIDS.sha256);
    expect(sig.attributes.map((a) => a.type)).toEqual([
      OIDS.contentType,
      OIDS.messageDigest,
      OIDS.signingCertificateV2,
    ]);
    expect(sig.attributes.map((a) => a.type)).not.toContain(OIDS.signingTime);
    expect(forge.asn1.derToOid(sig.attributes[0].value.value as string)).toBe(OIDS.data);
    const ess = essCertIdV2(sig.attributes[2].value);
    const cert = certificateFacts(key.certPem);
    expect(ess).toEqual({
      hashAlgorithm: OIDS.sha256,
      certHash: cert.sha256,
      serial: cert.serial,
      issuer: certificateFacts(ca.certPem).subject,
    });
  });

  it('refuses a signature whose signing-certificate-v2 names another certificate (hash or serial), though its RSA signature verifies', () => {
    // The control: re-signed unchanged, the file is still valid (resign itself breaks nothing).
    expect(
      checkPdfSignature(
        resign(signed, key.keyPem, () => {}),
        trust,
      ),
    ).toMatchObject({ valid: true });
    const otherHash = resign(signed, key.keyPem, (attrs) => {
      const [hash] = essCertIdParts(attrs);
      hash.value = flipLast(hash.value as string);
    });
    expect(checkPdfSignature(otherHash, trust)).toMatchObject({ valid: false, problem: 'invalid' });
    const otherSerial = resign(signed, key.keyPem, (attrs) => {
      const serial = (essCertIdParts(attrs)[1].value as forge.asn1.Asn1[])[1];
      serial.value = flipLast(serial.value as string);
    });
    expect(checkPdfSignature(otherSerial, trust)).toMatchObject({ valid: false, problem: 'invalid' });
  });

  it('still accepts the adbe.pkcs7.detached files signed before (CMS signingTime), and refuses them altered', () => {
    expect(readPdfSignature(legacy.pdf).attributes.map((a) => a.type)).toContain(OIDS.signingTime);
    expect(checkPdfSignature(legacy.pdf, legacy.trust)).toEqual({
      valid: true,
      coversWholeDocument: true,
      signedAt: new Date('2025-06-02T03:04:05Z'),
      signer: { name: agency.name, organization: agency.name, serial: expect.stringMatching(/^[0-9a-f]+$/) },
      subFilter: 'adbe.pkcs7.detached',
    });
    const tampered = Buffer.from(legacy.pdf);
    tampered[300] ^= 1;
    expect(checkPdfSignature(tampered, legacy.trust)).toMatchObject({ valid: false, problem: 'invalid' });
    expect(checkPdfSignature(legacy.pdf, trust)).toMatchObject({ valid: false, problem: 'untrusted' });
    const report = pdfsig(legacy.pdf);
    if (report !== null) {
      expect(report).toContain('Signature Type: adbe.pkcs7.detached');
      expect(report).toContain('Signature Validation: Signature is Valid.');
    }
  });

  it('reads PDF dates (/M): UTC, with an offset, partial; refuses anything else', () => {
    expect(parsePdfDate('D:20250602030405Z')).toEqual(new Date('2025-06-02T03:04:05Z'));
    expect(parsePdfDate("D:20250602100405+07'00'")).toEqual(new Date('2025-06-02T03:04:05Z'));
    expect(parsePdfDate("D:20250601220405-05'00")).toEqual(new Date('2025-06-02T03:04:05Z'));
    expect(parsePdfDate('D:202506')).toEqual(new Date('2025-06-01T00:00:00Z'));
    expect(parsePdfDate('2 June 2025')).toBeUndefined();
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

  it('pdfsig (poppler-utils) reports the signature valid, ETSI.CAdES.detached, by the agency; not one altered', () => {
    const out = pdfsig(signed);
    if (out === null) return;
    expect(out).toContain('Signature Validation: Signature is Valid.');
    expect(out).toContain(`Signer Certificate Common Name: ${agency.name}`);
    expect(out).toContain('Signature Type: ETSI.CAdES.detached');
    expect(out).toContain('Signing Hash Algorithm: SHA-256');
    const bad = pdfsig(Buffer.concat([signed.subarray(0, 200), Buffer.from('X'), signed.subarray(201)]));
    expect(bad).not.toContain('Signature is Valid.');
  });
});
