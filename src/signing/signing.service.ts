import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import type { AppConfig } from '../config/configuration';
import { createCa, issueCertificate, KeyAndCertificate, toP12 } from './demo-ca';
import { readP12 } from './cades-signer';
import {
  checkPdfSignature,
  parseCertificates,
  readTrustList,
  SIGNATURE_REASON,
  SignatureCheck,
  signPdf,
} from './pdf-signature';

export type { SignatureCheck, Signer } from './pdf-signature';
import { SigningRepository } from './signing.repository';

const DEMO_PASSPHRASE = 'demo';

/**
 * Signs the PDFs the portal issues (results, receipts) with the issuing agency's key, and checks signed PDFs
 * (uploaded results) against the trust list. Production: `<agency code>.p12` files in SIGNING_KEYS_DIR and the
 * SIGNING_TRUST_LIST bundle (src/config/production.ts refuses anything else). Development, with neither set: a
 * demo CA and a certificate per agency, made at first use and kept in signing_keys (shared by every replica);
 * the demo CA is then the trust list.
 */
@Injectable()
export class SigningService implements OnApplicationBootstrap {
  private readonly keysDir?: string;
  private readonly passphrase: string;
  private readonly trustList?: string;
  private readonly production: boolean;
  private demoCa?: Promise<KeyAndCertificate>;
  private readonly demoKeys = new Map<string, Promise<{ p12: Buffer; passphrase: string }>>();

  constructor(
    private readonly repo: SigningRepository,
    config: ConfigService<AppConfig, true>,
  ) {
    this.keysDir = config.get('SIGNING_KEYS_DIR', { infer: true });
    this.passphrase = config.get('SIGNING_KEYS_PASSPHRASE', { infer: true }) ?? '';
    this.trustList = config.get('SIGNING_TRUST_LIST', { infer: true });
    this.production = config.get('NODE_ENV', { infer: true }) === 'production';
  }

  /** Production: every agency (each issues results and receipts) has its key; refused at start otherwise. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.production || !this.keysDir) return;
    const missing = (await this.repo.agencies()).filter((a) => !existsSync(this.keyFile(a.code)));
    if (missing.length > 0)
      throw new Error(
        `Invalid environment:\n${missing
          .map((a) => `  SIGNING_KEYS_DIR: no key for agency ${a.code} (${a.name}): expected ${a.code}.p12`)
          .join('\n')}`,
      );
  }

  /**
   * Signs `pdf` (rendered by src/pdf) as `agencyCode`. `signingTime` (default now) is written in the signature;
   * give the document's issue time to keep signing deterministic (see SignOptions.signingTime). A time outside
   * the certificate's validity is replaced by now.
   */
  async sign(
    pdf: Buffer,
    agencyCode: string,
    o: { signingTime?: Date; reason?: string; name?: string } = {},
  ): Promise<Buffer> {
    const { p12, passphrase } = await this.keyOf(agencyCode);
    const { certificate } = readP12(p12, passphrase);
    const wanted = o.signingTime ?? new Date();
    const signingTime =
      wanted >= certificate.validity.notBefore && wanted <= certificate.validity.notAfter ? wanted : new Date();
    const organization = certificate.subject.getField('O') as { value?: string } | null;
    return signPdf(pdf, {
      p12,
      passphrase,
      name: o.name ?? (organization?.value ? forge.util.decodeUtf8(organization.value) : agencyCode),
      reason: o.reason ?? SIGNATURE_REASON,
      signingTime,
    });
  }

  /** Checks the last signature of `pdf` against the trust list (see checkPdfSignature). */
  async verify(pdf: Buffer): Promise<SignatureCheck> {
    return checkPdfSignature(pdf, await this.trusted());
  }

  /** The certificates a signed upload must chain to. */
  async trusted(): Promise<forge.pki.Certificate[]> {
    if (this.trustList) return parseCertificates(readTrustList(this.trustList));
    if (this.production) return []; // refused at start; never the demo CA
    return parseCertificates((await this.ca()).certPem);
  }

  /** Development: the demo CA's certificate (PEM), e.g. to import into a PDF reader. */
  async demoCaCertificate(): Promise<string> {
    return (await this.ca()).certPem;
  }

  private keyFile(code: string): string {
    return join(this.keysDir!, `${code}.p12`);
  }

  private async keyOf(code: string): Promise<{ p12: Buffer; passphrase: string }> {
    if (this.keysDir) {
      const file = this.keyFile(code);
      if (!existsSync(file)) throw new Error(`No signing key for agency ${code}: ${file} is missing`);
      return { p12: readFileSync(file), passphrase: this.passphrase };
    }
    if (this.production) throw new Error('SIGNING_KEYS_DIR is required in production');
    let key = this.demoKeys.get(code);
    if (!key) {
      key = this.demoKey(code);
      this.demoKeys.set(code, key);
      key.catch(() => this.demoKeys.delete(code));
    }
    return key;
  }

  private async demoKey(code: string): Promise<{ p12: Buffer; passphrase: string }> {
    const ca = await this.ca();
    let key = await this.repo.key(code);
    if (!key) {
      const name = (await this.repo.agencyName(code)) ?? code;
      key = await this.repo.keep(code, issueCertificate(ca, { name, code }));
    }
    return { p12: toP12(key, [ca.certPem], DEMO_PASSPHRASE), passphrase: DEMO_PASSPHRASE };
  }

  private ca(): Promise<KeyAndCertificate> {
    if (!this.demoCa) {
      this.demoCa = (async () => (await this.repo.key('ca')) ?? this.repo.keep('ca', createCa()))();
      this.demoCa.catch(() => (this.demoCa = undefined));
    }
    return this.demoCa;
  }
}
