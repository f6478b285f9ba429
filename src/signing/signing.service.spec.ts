import type { ConfigService } from '@nestjs/config';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateFacts, essCertIdV2, OIDS, readPdfSignature } from '../../test/support/pdf-cms';
import type { AppConfig } from '../config/configuration';
import { renderPaymentReceipt } from '../pdf/render';
import { createCa, KeyAndCertificate, writeKeyFiles } from './demo-ca';
import type { SigningRepository } from './signing.repository';
import { SigningService } from './signing.service';

/** signing_keys in memory, with the agencies of the demo data. */
function memoryRepository() {
  const keys = new Map<string, KeyAndCertificate>();
  const agencies = [{ code: '000.00.20.H56', name: 'UBND Quận 1' }];
  const repo = {
    key: (subject: string) => Promise.resolve(keys.get(subject)),
    keep: (subject: string, key: KeyAndCertificate) => {
      if (!keys.has(subject)) keys.set(subject, key);
      return Promise.resolve(keys.get(subject)!);
    },
    agencyName: (code: string) => Promise.resolve(agencies.find((a) => a.code === code)?.name),
    agencies: () => Promise.resolve(agencies),
  };
  return { keys, repo: repo as unknown as SigningRepository };
}

const config = (values: Partial<AppConfig>) =>
  ({ get: (name: keyof AppConfig) => values[name] }) as unknown as ConfigService<AppConfig, true>;

const receipt = () =>
  renderPaymentReceipt({
    number: 'BL2025-0000001',
    issuedAt: new Date('2025-03-05T02:15:00Z'),
    agencyName: 'UBND Quận 1',
    payerName: 'Nguyễn Văn A',
    dossierCode: 'Q1-0001',
    procedureName: 'Chứng thực',
    items: [{ kind: 'fee', name: 'Phí', amount: 10000 }],
    totalVnd: 10000,
    provider: 'vnpay',
    providerTransactionNo: '1',
    paidAt: new Date('2025-03-05T02:14:00Z'),
  });

describe('SigningService', () => {
  it('development: makes the demo CA and the agency key once, signs as the agency, trusts the demo CA', async () => {
    const { keys, repo } = memoryRepository();
    const service = new SigningService(repo, config({ NODE_ENV: 'development' }));
    const at = new Date('2025-03-05T02:15:00Z');
    const signed = await service.sign(await receipt(), '000.00.20.H56', { signingTime: at });
    expect([...keys.keys()].sort()).toEqual(['000.00.20.H56', 'ca']);
    expect(await service.verify(signed)).toEqual({
      valid: true,
      coversWholeDocument: true,
      signedAt: at,
      signer: { name: 'UBND Quận 1', organization: 'UBND Quận 1', serial: expect.any(String) },
      subFilter: 'ETSI.CAdES.detached',
    });
    // PAdES B-B: the signing-certificate-v2 attribute names the agency certificate kept in signing_keys.
    const ess = readPdfSignature(signed).attributes.find((a) => a.type === OIDS.signingCertificateV2);
    expect(essCertIdV2(ess!.value).certHash).toEqual(certificateFacts(keys.get('000.00.20.H56')!.certPem).sha256);
    // Another replica (a new service over the same table) uses the same keys: the same bytes.
    const again = await new SigningService(repo, config({ NODE_ENV: 'development' })).sign(
      await receipt(),
      '000.00.20.H56',
      { signingTime: at },
    );
    expect(again.equals(signed)).toBe(true);
  });

  it('production: signs with the agency key file, trusts only the trust list, refuses to start without a key', async () => {
    const ca = createCa('Tổ chức chứng thực', 'Test CA');
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    writeKeyFiles(dir, ca, [{ code: '000.00.20.H56', name: 'UBND Quận 1' }], 'pw');
    const production = (over: Partial<AppConfig> = {}) =>
      new SigningService(
        memoryRepository().repo,
        config({
          NODE_ENV: 'production',
          SIGNING_KEYS_DIR: dir,
          SIGNING_KEYS_PASSPHRASE: 'pw',
          SIGNING_TRUST_LIST: ca.certPem,
          ...over,
        }),
      );
    const service = production();
    await expect(service.onApplicationBootstrap()).resolves.toBeUndefined();
    const signed = await service.sign(await receipt(), '000.00.20.H56');
    expect(await service.verify(signed)).toMatchObject({ valid: true, signer: { organization: 'UBND Quận 1' } });
    const other = createCa('Tổ chức khác', 'Test CA');
    expect(await production({ SIGNING_TRUST_LIST: other.certPem }).verify(signed)).toMatchObject({
      valid: false,
      problem: 'untrusted',
    });
    await expect(service.sign(await receipt(), '000.00.01.H56')).rejects.toThrow(/No signing key for agency/);
    const empty = production({ SIGNING_KEYS_DIR: mkdtempSync(join(tmpdir(), 'keys-')) });
    await expect(empty.onApplicationBootstrap()).rejects.toThrow(
      /SIGNING_KEYS_DIR: no key for agency 000\.00\.20\.H56 \(UBND Quận 1\)/,
    );
  });
});
