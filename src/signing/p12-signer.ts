import { Signer, SignPdfError } from '@signpdf/utils';
import forge from 'node-forge';

/**
 * @signpdf/signer-p12's P12Signer with one fix. P12Signer hands node-forge the parsed certificate, and forge
 * writes the SignerInfo's issuer by UTF-8-encoding UTF8String names a second time (it parses them as bytes):
 * with a Vietnamese CA name ("Cổng dịch vụ công", "Ban Cơ yếu Chính phủ") the SignerInfo then names no
 * certificate in the signature, and readers (pdfsig: "Unknown Validation Failure") cannot find the signer.
 * Here the issuer's names are decoded first, so forge writes the certificate's own bytes. Otherwise the same
 * CMS: detached SignedData, SHA-256, signed attributes contentType, signingTime, messageDigest, in that order,
 * the key's certificate and every other certificate of the PKCS#12 (the chain) included.
 */
export class PortalP12Signer extends Signer {
  private readonly p12: forge.util.ByteStringBuffer;

  constructor(
    p12: Buffer,
    private readonly passphrase: string,
  ) {
    super();
    this.p12 = forge.util.createBuffer(p12.toString('binary'));
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- the Signer interface is asynchronous
  override async sign(pdf: Buffer, signingTime?: Date): Promise<Buffer> {
    const { key, certificate, chain } = readP12(this.p12.copy(), this.passphrase);
    const p7 = forge.pkcs7.createSignedData();
    p7.content = forge.util.createBuffer(pdf.toString('binary'));
    for (const cert of chain) p7.addCertificate(cert);
    p7.addSigner({
      key,
      issuer: decodedNames(certificate.issuer.attributes),
      serialNumber: certificate.serialNumber,
      digestAlgorithm: forge.pki.oids.sha256,
      authenticatedAttributes: [
        { type: forge.pki.oids.contentType, value: forge.pki.oids.data },
        { type: forge.pki.oids.signingTime, value: (signingTime ?? new Date()) as unknown as string },
        { type: forge.pki.oids.messageDigest },
      ],
    } as unknown as Parameters<typeof p7.addSigner>[0]);
    p7.sign({ detached: true });
    return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), 'binary');
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
