/**
 * Tests' own reading of a signed PDF's last signature (node-forge's ASN.1 parser, nothing from src/signing): the
 * signature dictionary's /SubFilter and /M, and the CMS SignerInfo's signed attributes, so a test can check
 * what a PAdES B-B signature must carry. `resign` re-signs changed signed attributes with the signer's key, to
 * make a signature that verifies cryptographically but whose attributes say something else.
 */
import { createHash, sign, X509Certificate } from 'node:crypto';
import forge from 'node-forge';

const { asn1 } = forge;
type Asn1 = forge.asn1.Asn1;
const children = (n: Asn1) => n.value as Asn1[];

export const OIDS = {
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  sha256: '2.16.840.1.101.3.4.2.1',
  data: '1.2.840.113549.1.7.1',
};

export interface PdfSignature {
  subFilter?: string;
  /** The dictionary's /M, as written. */
  m?: string;
  /** /Contents (the CMS) start and end in the file (the hex between < and >). */
  contents: { start: number; end: number };
  cms: Asn1;
  /** SignerInfo's digestAlgorithm OID. */
  digestAlgorithm: string;
  /** The signed attributes' types, in order, and each one's first value. */
  attributes: { type: string; value: Asn1 }[];
}

export function readPdfSignature(pdf: Buffer): PdfSignature {
  const text = pdf.toString('latin1');
  const range = [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)].at(-1);
  if (!range) throw new Error('no /ByteRange');
  const objStart = text.lastIndexOf(' obj', range.index);
  const dict = text.slice(objStart, text.indexOf('endobj', range.index));
  const [start, end] = [Number(range[2]) + 1, Number(range[3]) - 1];
  const cms = asn1.fromDer(forge.util.hexToBytes(text.slice(start, end)), {
    parseAllBytes: false,
  } as unknown as boolean);
  const signerInfo = signerInfoOf(cms);
  const signed = children(signerInfo).find(
    (p) => p.tagClass === asn1.Class.CONTEXT_SPECIFIC && (p.type as number) === 0,
  );
  return {
    subFilter: /\/SubFilter\s*\/([^\s/<>[\]()]+)/.exec(dict)?.[1],
    m: /\/M\s*\(([^)]*)\)/.exec(dict)?.[1],
    contents: { start, end },
    cms,
    digestAlgorithm: asn1.derToOid(children(children(signerInfo)[2])[0].value as string),
    attributes: (signed ? children(signed) : []).map((a) => ({
      type: asn1.derToOid(children(a)[0].value as string),
      value: children(children(a)[1])[0],
    })),
  };
}

function signerInfoOf(cms: Asn1): Asn1 {
  const signedData = children(children(cms)[1])[0];
  return children(children(signedData).at(-1)!)[0];
}

/** The first ESSCertIDv2 of a signing-certificate-v2 value: hash algorithm (default SHA-256), hash, issuerSerial. */
export function essCertIdV2(value: Asn1): { hashAlgorithm: string; certHash: Buffer; serial: string; issuer: Buffer } {
  const parts = children(children(children(value)[0])[0]);
  const hasAlgorithm = parts[0].type === asn1.Type.SEQUENCE;
  const [hash, issuerSerial] = hasAlgorithm ? parts.slice(1) : parts;
  const [names, serial] = children(issuerSerial);
  return {
    hashAlgorithm: hasAlgorithm ? asn1.derToOid(children(parts[0])[0].value as string) : OIDS.sha256,
    certHash: Buffer.from(hash.value as string, 'latin1'),
    serial: forge.util.bytesToHex(serial.value as string),
    issuer: Buffer.from(asn1.toDer(children(children(names)[0])[0]).getBytes(), 'latin1'),
  };
}

/** A certificate's SHA-256 (Node's parser: its DER as given), serial (hex, lower case) and subject Name's DER. */
export function certificateFacts(pem: string): { sha256: Buffer; serial: string; subject: Buffer } {
  const x = new X509Certificate(pem);
  const tbs = children(children(asn1.fromDer(x.raw.toString('latin1')))[0]);
  const fields = tbs[0].tagClass === asn1.Class.CONTEXT_SPECIFIC ? tbs.slice(1) : tbs;
  return {
    sha256: createHash('sha256').update(x.raw).digest(),
    serial: x.serialNumber.toLowerCase(),
    subject: Buffer.from(asn1.toDer(fields[4]).getBytes(), 'latin1'),
  };
}

/**
 * `pdf` with its last signature's signed attributes changed by `change` and signed again with `keyPem` (the
 * same /ByteRange, so the message digest still matches): a signature that verifies, with other attributes.
 */
export function resign(pdf: Buffer, keyPem: string, change: (attributes: Asn1[]) => void): Buffer {
  const sig = readPdfSignature(pdf);
  const parts = children(signerInfoOf(sig.cms));
  const signedIndex = parts.findIndex((p) => p.tagClass === asn1.Class.CONTEXT_SPECIFIC && (p.type as number) === 0);
  change(children(parts[signedIndex]));
  const set = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, children(parts[signedIndex]));
  const signature = sign('sha256', Buffer.from(asn1.toDer(set).getBytes(), 'latin1'), keyPem);
  parts[signedIndex + 2].value = signature.toString('latin1');
  const hex = forge.util.bytesToHex(asn1.toDer(sig.cms).getBytes());
  const width = sig.contents.end - sig.contents.start;
  if (hex.length > width) throw new Error('the changed signature does not fit /Contents');
  return Buffer.concat([
    pdf.subarray(0, sig.contents.start),
    Buffer.from(hex.padEnd(width, '0'), 'latin1'),
    pdf.subarray(sig.contents.end),
  ]);
}

/** For `resign`: the (changeable) parts of the signing-certificate-v2 attribute's first ESSCertIDv2. */
export function essCertIdParts(attributes: Asn1[]): Asn1[] {
  const attribute = attributes.find((a) => asn1.derToOid(children(a)[0].value as string) === OIDS.signingCertificateV2);
  if (!attribute) throw new Error('no signing-certificate-v2 attribute');
  return children(children(children(children(children(attribute)[1])[0])[0])[0]);
}

/** `bytes` (a forge byte string) with its last byte changed. */
export const flipLast = (bytes: string) =>
  bytes.slice(0, -1) + String.fromCharCode(bytes.charCodeAt(bytes.length - 1) ^ 1);
