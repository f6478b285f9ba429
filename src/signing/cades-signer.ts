/**
 * The CMS of a PAdES baseline B-B signature (ETSI EN 319 142-1, with the CAdES signed attributes of
 * ETSI EN 319 122-1), built by hand with node-forge's ASN.1: forge's pkcs7 writes only the contentType,
 * messageDigest and signingTime attributes, and a UTF-8 issuer name encoded twice (a CA named "Cổng dịch vụ
 * công" would then name no certificate in the signature).
 *
 * ContentInfo { signedData, SignedData {
 *   version 1, digestAlgorithms { sha256 }, encapContentInfo { data } (detached: no content),
 *   certificates [0] { the signer's certificate, then the rest of the PKCS#12 (the chain) },
 *   signerInfos { SignerInfo {
 *     version 1, sid issuerAndSerialNumber (the certificate's own issuer bytes), digestAlgorithm sha256,
 *     signedAttrs [0] DER SET OF { content-type data, message-digest SHA-256(signed bytes),
 *       signing-certificate-v2 { ESSCertIDv2 { certHash SHA-256(certificate), issuerSerial } } },
 *     signatureAlgorithm rsaEncryption, signature RSASSA-PKCS1-v1_5(SHA-256(DER(signedAttrs))) } } } }
 *
 * No signing-time attribute: PAdES puts the claimed signing time in the signature dictionary's /M (B-B forbids
 * the attribute). No unsigned attributes: a signature timestamp (B-T) needs a TSA.
 */
import { Signer, SignPdfError } from '@signpdf/utils';
import { createHash, sign as rsaSign } from 'node:crypto';
import forge from 'node-forge';

/** id-aa-signingCertificateV2 (RFC 5035) and id-aa-signingCertificate (RFC 2634, SHA-1). */
export const OID_SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47';
export const OID_SIGNING_CERTIFICATE = '1.2.840.113549.1.9.16.2.12';

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
const seq = (value: forge.asn1.Asn1[]) => asn1.create(U, asn1.Type.SEQUENCE, true, value);
const oid = (o: string) => asn1.create(U, asn1.Type.OID, false, asn1.oidToDer(o).getBytes());
const octets = (bytes: string) => asn1.create(U, asn1.Type.OCTETSTRING, false, bytes);
const int = (n: number) => asn1.create(U, asn1.Type.INTEGER, false, asn1.integerToDer(n).getBytes());
const der = (node: forge.asn1.Asn1) => asn1.toDer(node).getBytes();

/** A DER SET OF: its elements in ascending order of their encodings (X.690 11.6). */
export function derSetOf(elements: forge.asn1.Asn1[]): forge.asn1.Asn1 {
  const sorted = elements
    .map((e) => ({ e, bytes: Buffer.from(der(e), 'latin1') }))
    .sort((x, y) => {
      const n = Math.max(x.bytes.length, y.bytes.length);
      const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc(n - b.length)]);
      return Buffer.compare(pad(x.bytes), pad(y.bytes));
    });
  return asn1.create(
    U,
    asn1.Type.SET,
    true,
    sorted.map((s) => s.e),
  );
}

/** A certificate's DER as parsed (forge keeps the parsed tbsCertificate, so these are its own bytes). */
export function certificateDer(cert: forge.pki.Certificate): string {
  return der(forge.pki.certificateToAsn1(cert));
}

/** The issuer Name and the serialNumber INTEGER of a certificate, as encoded in it. */
export function issuerAndSerial(certDer: string): { issuer: forge.asn1.Asn1; serial: forge.asn1.Asn1 } {
  const tbs = ((asn1.fromDer(certDer).value as forge.asn1.Asn1[])[0].value as forge.asn1.Asn1[]).slice();
  // TBSCertificate ::= SEQUENCE { [0] EXPLICIT version OPTIONAL, serialNumber, signature, issuer, ... }
  if (tbs[0].tagClass === asn1.Class.CONTEXT_SPECIFIC) tbs.shift();
  return { serial: tbs[0], issuer: tbs[2] };
}

/** The ESS signing-certificate-v2 attribute value naming `certDer`: its SHA-256 (the default) and issuerSerial. */
export function signingCertificateV2(certDer: string): forge.asn1.Asn1 {
  const { issuer, serial } = issuerAndSerial(certDer);
  const hash = createHash('sha256').update(Buffer.from(certDer, 'latin1')).digest().toString('latin1');
  // IssuerSerial ::= SEQUENCE { issuer GeneralNames (SEQUENCE OF GeneralName; directoryName [4] EXPLICIT Name),
  //   serialNumber }. ESSCertIDv2's hashAlgorithm is left out: its DEFAULT is id-sha256 (DER omits defaults).
  const directoryName = asn1.create(asn1.Class.CONTEXT_SPECIFIC, 4, true, [issuer]);
  const essCertIdV2 = seq([octets(hash), seq([seq([directoryName]), serial])]);
  return seq([seq([essCertIdV2])]);
}

const attribute = (type: string, value: forge.asn1.Asn1) => seq([oid(type), derSetOf([value])]);

/**
 * A detached CAdES SignedData over `content` (the PDF's /ByteRange) by `key` with `certificate`, carrying
 * `chain` (the signer's certificate is written first whatever its place in `chain`).
 */
export function cadesDetached(
  content: Buffer,
  o: { key: forge.pki.rsa.PrivateKey; certificate: forge.pki.Certificate; chain: readonly forge.pki.Certificate[] },
): Buffer {
  const certDer = certificateDer(o.certificate);
  const others = o.chain.map(certificateDer).filter((c) => c !== certDer);
  const sha256 = () => seq([oid(forge.pki.oids.sha256)]); // RFC 5754: parameters absent
  const signedAttrs = derSetOf([
    attribute(forge.pki.oids.contentType, oid(forge.pki.oids.data)),
    attribute(forge.pki.oids.messageDigest, octets(createHash('sha256').update(content).digest().toString('latin1'))),
    attribute(OID_SIGNING_CERTIFICATE_V2, signingCertificateV2(certDer)),
  ]);
  const signature = rsaSign('sha256', Buffer.from(der(signedAttrs), 'latin1'), forge.pki.privateKeyToPem(o.key));
  const { issuer, serial } = issuerAndSerial(certDer);
  const signerInfo = seq([
    int(1),
    seq([issuer, serial]),
    sha256(),
    // The same SET, [0] IMPLICIT in the SignerInfo (the signature is over its DER with the SET tag).
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, signedAttrs.value),
    seq([oid(forge.pki.oids.rsaEncryption), asn1.create(U, asn1.Type.NULL, false, '')]),
    octets(signature.toString('latin1')),
  ]);
  const signedData = seq([
    int(1),
    derSetOf([sha256()]),
    seq([oid(forge.pki.oids.data)]),
    asn1.create(
      asn1.Class.CONTEXT_SPECIFIC,
      0,
      true,
      [certDer, ...others].map((c) => asn1.fromDer(c)),
    ),
    derSetOf([signerInfo]),
  ]);
  const contentInfo = seq([
    oid(forge.pki.oids.signedData),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [signedData]),
  ]);
  return Buffer.from(der(contentInfo), 'latin1');
}

/**
 * An @signpdf Signer with a PKCS#12 (key, certificate, chain) that writes a CAdES detached signature (see the
 * module comment). @signpdf's signingTime is not used: the time is in the signature dictionary's /M.
 */
export class CadesP12Signer extends Signer {
  constructor(
    private readonly p12: Buffer,
    private readonly passphrase: string,
  ) {
    super();
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- the Signer interface is asynchronous
  override async sign(pdf: Buffer): Promise<Buffer> {
    return cadesDetached(pdf, readP12(this.p12, this.passphrase));
  }
}

/** The private key of a PKCS#12, the certificate that matches it, and every certificate it holds. */
export function readP12(
  der: forge.util.ByteStringBuffer | Buffer,
  passphrase: string,
): { key: forge.pki.rsa.PrivateKey; certificate: forge.pki.Certificate; chain: forge.pki.Certificate[] } {
  const bytes = Buffer.isBuffer(der) ? forge.util.createBuffer(der.toString('binary')) : der;
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(bytes), false, passphrase);
  const chain = (p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? [])
    .map((b) => b.cert)
    .filter((c): c is forge.pki.Certificate => !!c);
  const key = (p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] ?? [])
    .map((b) => b.key)
    .find((k): k is forge.pki.rsa.PrivateKey => !!k);
  if (!key) throw new SignPdfError('The PKCS#12 holds no private key.', SignPdfError.TYPE_INPUT);
  const certificate = chain.find((c) => {
    const pub = c.publicKey as forge.pki.rsa.PublicKey;
    return pub.n?.compareTo(key.n) === 0 && pub.e?.compareTo(key.e) === 0;
  });
  if (!certificate)
    throw new SignPdfError('Failed to find a certificate that matches the private key.', SignPdfError.TYPE_INPUT);
  return { key, certificate, chain };
}

/** A parsed name's attributes with UTF8String values decoded, so forge writes them back as they were. */
export function decodedNames(attributes: forge.pki.CertificateField[]): forge.pki.CertificateField[] {
  const utf8: number = forge.asn1.Type.UTF8;
  return attributes.map((a) => ({
    ...a,
    value: (a.valueTagClass as number | undefined) === utf8 ? forge.util.decodeUtf8(a.value as string) : a.value,
  }));
}
