/**
 * PDF signatures, framework-free: signing a rendered PDF with a PKCS#12 key
 * (@signpdf) and checking a signed PDF with node-forge against a trust list.
 *
 * Level reached: PAdES baseline B-B (ETSI EN 319 142-1). An ISO 32000-1 signature field (/Type /Sig, /Filter
 * /Adobe.PPKLite, /SubFilter /ETSI.CAdES.detached, the claimed signing time in /M) whose /Contents is a detached
 * CAdES SignedData (src/signing/cades-signer.ts): SHA-256, the signed attributes content-type, message-digest
 * and signing-certificate-v2, no signing-time attribute, over a /ByteRange that covers the whole file except
 * /Contents. Not reached: B-T (a signature timestamp from a TSA, none offline), B-LT/B-LTA (revocation data,
 * document timestamps).
 *
 * The checker also accepts the ISO 32000-1 `adbe.pkcs7.detached` signatures the portal wrote before (signed
 * attributes contentType, signingTime, messageDigest) and other tools' CMS signatures of either kind.
 */
import { SignPdf } from '@signpdf/signpdf';
import { plainAddPlaceholder } from '@signpdf/placeholder-plain';
import { SUBFILTER_ETSI_CADES_DETACHED } from '@signpdf/utils';
import { createHash, verify as verifySignature } from 'node:crypto';
import { readFileSync } from 'node:fs';
import forge from 'node-forge';
import { CadesP12Signer, issuerAndSerial, OID_SIGNING_CERTIFICATE, OID_SIGNING_CERTIFICATE_V2 } from './cades-signer';

export const SIGNATURE_REASON = 'Kết quả giải quyết thủ tục hành chính';
export const RECEIPT_SIGNATURE_REASON = 'Biên lai thu phí, lệ phí';
export const SIGNATURE_LOCATION = 'Việt Nam';

export interface SignOptions {
  /** The PKCS#12 (key + certificate + chain) and its passphrase. */
  p12: Buffer;
  passphrase: string;
  /** Shown by PDF readers as the signer's name (the agency). */
  name: string;
  reason?: string;
  location?: string;
  /**
   * The signing time written in the signature dictionary (/M; PAdES has no CMS signing-time). A fixed time
   * (the document's issue time) keeps signing deterministic: RSA PKCS#1 v1.5 has no randomness, so the same
   * PDF, key and time give the same bytes (a retried rendering job writes the same file).
   */
  signingTime: Date;
}

/** Adds a signature placeholder to `pdf` (an incremental update) and fills it with the CMS signature. */
export async function signPdf(pdf: Buffer, o: SignOptions): Promise<Buffer> {
  const withPlaceholder = plainAddPlaceholder({
    pdfBuffer: pdf,
    reason: o.reason ?? SIGNATURE_REASON,
    location: o.location ?? SIGNATURE_LOCATION,
    name: o.name,
    contactInfo: '',
    signingTime: o.signingTime,
    signatureLength: 8192,
    subFilter: SUBFILTER_ETSI_CADES_DETACHED,
    appName: 'public-services-portal',
  });
  const signer = new CadesP12Signer(o.p12, o.passphrase);
  return new SignPdf().sign(withPlaceholder, signer, o.signingTime);
}

/** Why a signature is refused: a stable code (for translations) with an English sentence. */
export type SignatureProblem = 'no-signature' | 'not-whole-document' | 'invalid' | 'untrusted' | 'expired';

export const PROBLEM_TEXT: Readonly<Record<SignatureProblem, string>> = {
  'no-signature': 'The file has no signature.',
  'not-whole-document': 'The signature does not cover the whole document (content was added after signing).',
  invalid: 'The signature is invalid (the document was altered or the signature is damaged).',
  untrusted: 'The signer is not trusted: the certificate does not chain to the trust list.',
  expired: 'The signer certificate was not valid (expired or not yet valid) at the signing time.',
};

export interface Signer {
  name: string;
  organization: string;
  serial: string;
}

export interface SignatureCheck {
  valid: boolean;
  problem?: SignatureProblem;
  reason?: string;
  signer?: Signer;
  signedAt?: Date;
  coversWholeDocument: boolean;
  /** The signature dictionary's /SubFilter: `ETSI.CAdES.detached` (PAdES) or `adbe.pkcs7.detached`. */
  subFilter?: string;
}

const DIGESTS: Record<string, string> = {
  [forge.pki.oids.sha256]: 'sha256',
  [forge.pki.oids.sha384]: 'sha384',
  [forge.pki.oids.sha512]: 'sha512',
  [forge.pki.oids.sha1]: 'sha1',
};

/** SIGNING_TRUST_LIST: the PEM itself (it contains a BEGIN line), or the path of a PEM bundle. */
export function readTrustList(value: string): string {
  return value.includes('-----BEGIN') ? value.replace(/\\n/g, '\n') : readFileSync(value, 'utf8');
}

/** Parses PEM certificates (a bundle); anything else in the text is ignored. */
export function parseCertificates(pem: string): forge.pki.Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => forge.pki.certificateFromPem(b));
}

export function signerOf(cert: forge.pki.Certificate): Signer {
  const field = (name: string) => {
    const v = cert.subject.getField(name) as { value?: unknown } | null;
    return typeof v?.value === 'string' ? forge.util.decodeUtf8(v.value) : '';
  };
  return { name: field('CN'), organization: field('O'), serial: cert.serialNumber };
}

/** A PDF date (ISO 32000-1 7.9.4, `D:YYYYMMDDHHmmSSOHH'mm'`, every part after the year optional) as an instant. */
export function parsePdfDate(value: string): Date | undefined {
  const m = /^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:([Z+-])(?:(\d{2})'?(?:(\d{2})'?)?)?)?$/.exec(
    value.trim(),
  );
  if (!m) return undefined;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', se = '00', tz, oh = '00', om = '00'] = m;
  const sign = tz === '+' ? 1 : tz === '-' ? -1 : 0; // no zone: taken as UTC
  const at = Date.UTC(+y, +mo - 1, +d, +h, +mi, +se) - sign * (+oh * 60 + +om) * 60_000;
  return Number.isNaN(at) ? undefined : new Date(at);
}

/**
 * The signature dictionary holding the /ByteRange at `at` (the indirect object around it): its /SubFilter and
 * its /M (the claimed signing time; inside the signed byte range, so covered by the signature).
 */
export function signatureDictionary(text: string, at: number): { subFilter?: string; signingTime?: Date } {
  const window = text.slice(Math.max(0, at - 65_536), at);
  const start = [...window.matchAll(/\d+\s+\d+\s+obj\b/g)].at(-1);
  const from = start ? at - window.length + start.index : at;
  const end = text.indexOf('endobj', at);
  const dict = text.slice(from, end < 0 ? undefined : end);
  const subFilter = /\/SubFilter\s*\/([^\s/<>[\]()]+)/.exec(dict)?.[1];
  const m = /\/M\s*\(([^)]*)\)/.exec(dict)?.[1];
  return { subFilter, signingTime: m === undefined ? undefined : parsePdfDate(m) };
}

const der = (node: forge.asn1.Asn1) => forge.asn1.toDer(node).getBytes();

/**
 * Whether an ESS signing-certificate-v2 (or v1, SHA-1) attribute value names the certificate `certDer`: the first
 * ESSCertID's hash of the certificate, and its issuerSerial (when given) the certificate's issuer and serial.
 * SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies OPTIONAL }
 * ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256, certHash OCTET STRING, issuerSerial OPTIONAL }
 */
export function namesCertificate(value: forge.asn1.Asn1, certDer: string, v2: boolean): boolean {
  const first = ((value.value as forge.asn1.Asn1[])[0].value as forge.asn1.Asn1[])[0];
  if (!first) return false;
  const parts = first.value as forge.asn1.Asn1[];
  let digest = v2 ? 'sha256' : 'sha1';
  let i = 0;
  if (v2 && parts[0].type === forge.asn1.Type.SEQUENCE) {
    digest = DIGESTS[forge.asn1.derToOid((parts[0].value as forge.asn1.Asn1[])[0].value as string)];
    if (!digest) return false;
    i = 1;
  }
  const hash = createHash(digest).update(Buffer.from(certDer, 'latin1')).digest().toString('latin1');
  if (parts[i]?.value !== hash) return false;
  const issuerSerial = parts[i + 1];
  if (!issuerSerial) return true;
  const [names, serial] = issuerSerial.value as forge.asn1.Asn1[];
  const own = issuerAndSerial(certDer);
  if (serial?.value !== own.serial.value) return false;
  const directoryNames = (names.value as forge.asn1.Asn1[])
    .filter((n) => n.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && (n.type as number) === 4)
    .map((n) => der((n.value as forge.asn1.Asn1[])[0]));
  return directoryNames.includes(der(own.issuer));
}

/**
 * Checks the last signature of `pdf`: the CMS signature over the /ByteRange, the /ByteRange covering the whole
 * file except /Contents (nothing appended after signing), the signing-certificate(-v2) attribute (when present)
 * naming the certificate that verifies the signature, the signer certificate valid at the signing time (the CMS
 * signingTime of an adbe.pkcs7 signature, else the dictionary's /M) and chaining to `trusted`. Never throws on
 * bad input: a damaged file is an invalid signature.
 */
export function checkPdfSignature(pdf: Buffer, trusted: readonly forge.pki.Certificate[]): SignatureCheck {
  const text = pdf.toString('latin1');
  const ranges = [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)];
  const last = ranges.at(-1);
  const dictionary = last ? signatureDictionary(text, last.index) : {};
  const subFilter = dictionary.subFilter;
  const refuse = (problem: SignatureProblem, rest: Partial<SignatureCheck> = {}): SignatureCheck => ({
    valid: false,
    problem,
    reason: PROBLEM_TEXT[problem],
    coversWholeDocument: false,
    ...(subFilter ? { subFilter } : {}),
    ...rest,
  });
  if (!last) return refuse('no-signature');
  const [a, b, c, d] = last.slice(1, 5).map(Number);
  if (a !== 0 || b <= 0 || c <= b || c + d > pdf.length) return refuse('invalid');
  const coversWholeDocument = c + d === pdf.length;
  const contents = text.slice(b, c);
  const hex = /^<([0-9a-fA-F]*)>$/.exec(contents)?.[1];
  if (!hex) return refuse('invalid');

  let signedAt: Date | undefined = dictionary.signingTime;
  let signer: Signer | undefined;
  try {
    const cms = forge.util.hexToBytes(hex);
    const msg = forge.pkcs7.messageFromAsn1(
      forge.asn1.fromDer(cms, { parseAllBytes: false } as unknown as boolean),
    ) as unknown as {
      certificates: forge.pki.Certificate[];
      rawCapture: { signerInfos?: forge.asn1.Asn1[]; certificates?: forge.asn1.Asn1 };
    };
    const info = msg.rawCapture.signerInfos?.[0];
    if (!info) return refuse('invalid');
    // SignerInfo ::= SEQUENCE { version, issuerAndSerialNumber, digestAlgorithm, [0] signedAttrs,
    //   signatureAlgorithm, signature, [1] unsignedAttrs OPTIONAL } (forge parses it but keeps no attributes).
    const parts = info.value as forge.asn1.Asn1[];
    const signedIndex = parts.findIndex(
      (p) => p.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && (p.type as number) === 0,
    );
    if (signedIndex < 0) return refuse('invalid');
    const attrs = parts[signedIndex].value as forge.asn1.Asn1[];
    const [sidIssuer, sidSerial] = parts[1].value as forge.asn1.Asn1[];
    const digestOid = forge.asn1.derToOid((parts[2].value as forge.asn1.Asn1[])[0].value as string);
    const signatureBytes = parts[signedIndex + 2].value as string;
    const digestName = DIGESTS[digestOid];
    if (!digestName) return refuse('invalid');
    // The certificate the SignerInfo names (issuer and serial; by serial alone for the portal's files signed
    // before src/signing/cades-signer.ts, whose issuer name was mis-encoded), as carried (its own bytes).
    const carried = (msg.rawCapture.certificates?.value as forge.asn1.Asn1[] | undefined) ?? [];
    const named = carried.map((node, i) => ({ der: der(node), cert: msg.certificates[i] }));
    const bySerial = named.filter((x) => issuerAndSerial(x.der).serial.value === sidSerial.value);
    const found = bySerial.find((x) => der(issuerAndSerial(x.der).issuer) === der(sidIssuer)) ?? bySerial[0];
    if (!found) return refuse('invalid');
    const cert = found.cert;
    signer = signerOf(cert);

    let messageDigest: string | undefined;
    let namesSigner = true;
    let cmsSigningTime: Date | undefined;
    for (const attr of attrs) {
      const [type, values] = attr.value as forge.asn1.Asn1[];
      const oid = forge.asn1.derToOid(type.value as string);
      const value = (values.value as forge.asn1.Asn1[])[0];
      if (oid === forge.pki.oids.messageDigest) messageDigest = value.value as string;
      if (oid === forge.pki.oids.signingTime)
        cmsSigningTime =
          value.type === forge.asn1.Type.UTCTIME
            ? forge.asn1.utcTimeToDate(value.value as string)
            : forge.asn1.generalizedTimeToDate(value.value as string);
      if (oid === OID_SIGNING_CERTIFICATE_V2 || oid === OID_SIGNING_CERTIFICATE)
        namesSigner &&= namesCertificate(value, found.der, oid === OID_SIGNING_CERTIFICATE_V2);
    }
    signedAt = cmsSigningTime ?? signedAt;
    const content = Buffer.concat([pdf.subarray(a, a + b), pdf.subarray(c, c + d)]);
    const digest = createHash(digestName).update(content).digest().toString('latin1');
    if (messageDigest !== digest) return refuse('invalid', { signer, signedAt, coversWholeDocument });
    const signedAttrs = forge.asn1
      .toDer(forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SET, true, attrs))
      .getBytes();
    const ok = verifySignature(
      digestName,
      Buffer.from(signedAttrs, 'latin1'),
      forge.pki.publicKeyToPem(cert.publicKey),
      Buffer.from(signatureBytes, 'latin1'),
    );
    // A signing-certificate attribute naming another certificate than the one whose key verifies: refused,
    // as the attribute exists to bind the signature to its certificate (no substitution).
    if (!ok || !namesSigner) return refuse('invalid', { signer, signedAt, coversWholeDocument });
    if (!coversWholeDocument) return refuse('not-whole-document', { signer, signedAt });

    const at = signedAt ?? new Date();
    if (at < cert.validity.notBefore || at > cert.validity.notAfter)
      return refuse('expired', { signer, signedAt, coversWholeDocument });
    if (!chainsTo(cert, msg.certificates, trusted, at))
      return refuse('untrusted', { signer, signedAt, coversWholeDocument });
    return { valid: true, signer, signedAt, coversWholeDocument, ...(subFilter ? { subFilter } : {}) };
  } catch {
    return refuse('invalid', { signer, signedAt, coversWholeDocument });
  }
}

/** Whether `cert` chains (through the certificates the signature carries) to a trusted certificate at `at`. */
function chainsTo(
  cert: forge.pki.Certificate,
  carried: readonly forge.pki.Certificate[],
  trusted: readonly forge.pki.Certificate[],
  at: Date,
): boolean {
  if (trusted.length === 0) return false;
  const store = forge.pki.createCaStore([...trusted]);
  const chain = [cert];
  // Intermediates from the signature, in order up to one the store knows (at most a few hops).
  for (let i = 0; i < 5 && !store.hasCertificate(chain.at(-1)!); i++) {
    const top = chain.at(-1)!;
    const parent = carried.find((x) => x !== top && x.subject.hash === top.issuer.hash && !chain.includes(x));
    if (!parent || parent.issued(top) === false) break;
    chain.push(parent);
  }
  try {
    return forge.pki.verifyCertificateChain(store, chain, { validityCheckDate: at });
  } catch {
    return false;
  }
}
