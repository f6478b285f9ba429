/**
 * The development demo certificate authority and per-agency certificates (node-forge, RSA 2048), made at the
 * first start of a development portal and kept in the database (signing_keys), never in git. Production
 * refuses them: the CA's subject carries DEMO_CA_MARKER (src/config/production.ts checks the trust list).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { decodedNames } from './cades-signer';

/** In the demo CA's organisational unit: how production recognises (and refuses) it. */
export const DEMO_CA_MARKER = 'DEMO - development only';

export interface KeyAndCertificate {
  keyPem: string;
  certPem: string;
}

function rsaKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey } {
  // Node's generator (native, ~100 ms) rather than forge's pure-JS one (seconds); forge builds the certificates.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsa = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
  return { privateKey: rsa, publicKey: forge.pki.setRsaPublicKey(rsa.n, rsa.e) };
}

function serial(): string {
  // Positive (high bit clear), 16 random bytes.
  const b = randomBytes(16);
  b[0] &= 0x7f;
  return b.toString('hex');
}

/** forge UTF-8-encodes a UTF8String value itself: give it the JavaScript string. */
const utf8 = (value: string) => value;

/** A self-signed CA (10 years). `name` is the organisation; tests make other CAs (outside the trust list). */
export function createCa(name = 'Cổng dịch vụ công', unit = DEMO_CA_MARKER): KeyAndCertificate {
  const { privateKey, publicKey } = rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.UTC(2020, 0, 1));
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 86_400_000);
  const subject = [
    { shortName: 'CN', value: utf8(`${name} Demo CA`), valueTagClass: forge.asn1.Type.UTF8 },
    { shortName: 'O', value: utf8(name), valueTagClass: forge.asn1.Type.UTF8 },
    { shortName: 'OU', value: unit, valueTagClass: forge.asn1.Type.UTF8 },
    { shortName: 'C', value: 'VN' },
  ];
  cert.setSubject(subject as forge.pki.CertificateField[]);
  cert.setIssuer(subject as forge.pki.CertificateField[]);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(privateKey, forge.md.sha256.create());
  return { keyPem: forge.pki.privateKeyToPem(privateKey), certPem: forge.pki.certificateToPem(cert) };
}

/**
 * An agency's signing certificate issued by `ca`: the agency's name as O and CN. Valid from 2020 (so documents
 * issued before the certificate was made, e.g. old receipts, are signed within its validity) for `years`.
 */
export function issueCertificate(
  ca: KeyAndCertificate,
  agency: { name: string; code: string },
  o: { notBefore?: Date; notAfter?: Date } = {},
): KeyAndCertificate {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const { privateKey, publicKey } = rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = o.notBefore ?? new Date(Date.UTC(2020, 0, 1));
  cert.validity.notAfter = o.notAfter ?? new Date(Date.now() + 5 * 365 * 86_400_000);
  cert.setSubject([
    { shortName: 'CN', value: utf8(agency.name), valueTagClass: forge.asn1.Type.UTF8 },
    { shortName: 'O', value: utf8(agency.name), valueTagClass: forge.asn1.Type.UTF8 },
    { shortName: 'OU', value: agency.code, valueTagClass: forge.asn1.Type.UTF8 },
    { shortName: 'C', value: 'VN' },
  ] as forge.pki.CertificateField[]);
  // Parsed values are UTF-8 bytes; forge would encode them again.
  cert.setIssuer(decodedNames(caCert.subject.attributes));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true },
    { name: 'extKeyUsage', emailProtection: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { keyPem: forge.pki.privateKeyToPem(privateKey), certPem: forge.pki.certificateToPem(cert) };
}

/** A PKCS#12 (3DES, as every reader accepts) with the key, its certificate and the chain. */
export function toP12(key: KeyAndCertificate, chain: string[], passphrase: string): Buffer {
  const p12 = forge.pkcs12.toPkcs12Asn1(
    forge.pki.privateKeyFromPem(key.keyPem),
    [key.certPem, ...chain].map((pem) => forge.pki.certificateFromPem(pem)),
    passphrase,
    { algorithm: '3des' },
  );
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
}

/** Whether a certificate is a demo CA (its subject carries the marker). */
export function isDemoCertificate(cert: forge.pki.Certificate): boolean {
  return cert.subject.attributes.some((a) => a.shortName === 'OU' && a.value === DEMO_CA_MARKER);
}

/**
 * Writes `<agency code>.p12` per agency (certificates issued by `ca`) into `dir`: what SIGNING_KEYS_DIR holds.
 * For tests and trials of a production configuration; a real agency gets its key from its certificate authority.
 */
export function writeKeyFiles(
  dir: string,
  ca: KeyAndCertificate,
  agencies: { name: string; code: string }[],
  passphrase: string,
): void {
  mkdirSync(dir, { recursive: true });
  for (const agency of agencies)
    writeFileSync(join(dir, `${agency.code}.p12`), toP12(issueCertificate(ca, agency), [ca.certPem], passphrase));
}
