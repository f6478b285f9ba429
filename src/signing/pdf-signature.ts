/**
 * PDF signatures, framework-free: signing a rendered PDF with a PKCS#12 key
 * (@signpdf) and checking a signed PDF with node-forge against a trust list.
 *
 * Level reached: an ISO 32000-1 signature field (/Type /Sig, /Filter /Adobe.PPKLite) whose /Contents is a
 * detached CMS (PKCS#7) SignedData with SHA-256 and the signed attributes contentType, signingTime and
 * messageDigest, over a /ByteRange that covers the whole file except /Contents. The /SubFilter is
 * `adbe.pkcs7.detached`, not `ETSI.CAdES.detached`: @signpdf/signer-p12 (node-forge; src/signing/p12-signer.ts
 * is it with a fix for UTF-8 names) cannot add the
 * signing-certificate-v2 attribute that PAdES baseline B-B requires with ETSI.CAdES.detached, so claiming
 * that SubFilter would be a false PAdES claim. No timestamp (B-T) and no revocation data (B-LT).
 */
import { SignPdf } from '@signpdf/signpdf';
import { plainAddPlaceholder } from '@signpdf/placeholder-plain';
import { SUBFILTER_ADOBE_PKCS7_DETACHED } from '@signpdf/utils';
import { createHash, verify as verifySignature } from 'node:crypto';
import { readFileSync } from 'node:fs';
import forge from 'node-forge';
import { PortalP12Signer } from './p12-signer';

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
   * The signing time written in the signature dictionary (/M) and the CMS signingTime attribute. A fixed time
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
    // adbe.pkcs7.detached: what the P12 signer's CMS actually is (see the module comment).
    subFilter: SUBFILTER_ADOBE_PKCS7_DETACHED,
    appName: 'public-services-portal',
  });
  const signer = new PortalP12Signer(o.p12, o.passphrase);
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

/**
 * Checks the last signature of `pdf`: the CMS signature over the /ByteRange, the /ByteRange covering the whole
 * file except /Contents (nothing appended after signing), the signer certificate valid at the signing time and
 * chaining to `trusted`. Never throws on bad input: a damaged file is an invalid signature.
 */
export function checkPdfSignature(pdf: Buffer, trusted: readonly forge.pki.Certificate[]): SignatureCheck {
  const refuse = (problem: SignatureProblem, rest: Partial<SignatureCheck> = {}): SignatureCheck => ({
    valid: false,
    problem,
    reason: PROBLEM_TEXT[problem],
    coversWholeDocument: false,
    ...rest,
  });
  const text = pdf.toString('latin1');
  const ranges = [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)];
  const last = ranges.at(-1);
  if (!last) return refuse('no-signature');
  const [a, b, c, d] = last.slice(1, 5).map(Number);
  if (a !== 0 || b <= 0 || c <= b || c + d > pdf.length) return refuse('invalid');
  const coversWholeDocument = c + d === pdf.length;
  const contents = text.slice(b, c);
  const hex = /^<([0-9a-fA-F]*)>$/.exec(contents)?.[1];
  if (!hex) return refuse('invalid');

  let signedAt: Date | undefined;
  let signer: Signer | undefined;
  try {
    const der = forge.util.hexToBytes(hex);
    const msg = forge.pkcs7.messageFromAsn1(
      forge.asn1.fromDer(der, { parseAllBytes: false } as unknown as boolean),
    ) as unknown as {
      certificates: forge.pki.Certificate[];
      rawCapture: { signerInfos?: forge.asn1.Asn1[] };
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
    const serialAsn1 = (parts[1].value as forge.asn1.Asn1[])[1];
    const digestOid = forge.asn1.derToOid((parts[2].value as forge.asn1.Asn1[])[0].value as string);
    const signatureBytes = parts[signedIndex + 2].value as string;
    const digestName = DIGESTS[digestOid];
    if (!digestName) return refuse('invalid');
    const serial = forge.util.createBuffer(serialAsn1.value as string).toHex();
    const cert = msg.certificates.find((x) => x.serialNumber.replace(/^0+/, '') === serial.replace(/^0+/, ''));
    if (!cert) return refuse('invalid');
    signer = signerOf(cert);

    let messageDigest: string | undefined;
    for (const attr of attrs) {
      const [type, values] = attr.value as forge.asn1.Asn1[];
      const oid = forge.asn1.derToOid(type.value as string);
      const value = (values.value as forge.asn1.Asn1[])[0];
      if (oid === forge.pki.oids.messageDigest) messageDigest = value.value as string;
      if (oid === forge.pki.oids.signingTime)
        signedAt =
          value.type === forge.asn1.Type.UTCTIME
            ? forge.asn1.utcTimeToDate(value.value as string)
            : forge.asn1.generalizedTimeToDate(value.value as string);
    }
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
    if (!ok) return refuse('invalid', { signer, signedAt, coversWholeDocument });
    if (!coversWholeDocument) return refuse('not-whole-document', { signer, signedAt });

    const at = signedAt ?? new Date();
    if (at < cert.validity.notBefore || at > cert.validity.notAfter)
      return refuse('expired', { signer, signedAt, coversWholeDocument });
    if (!chainsTo(cert, msg.certificates, trusted, at))
      return refuse('untrusted', { signer, signedAt, coversWholeDocument });
    return { valid: true, signer, signedAt, coversWholeDocument };
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
