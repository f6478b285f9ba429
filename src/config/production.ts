import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_CA_MARKER, isDemoCertificate } from '../signing/demo-ca';
import { readP12 } from '../signing/cades-signer';
import { parseCertificates, readTrustList } from '../signing/pdf-signature';
/**
 * What a production start refuses (NODE_ENV=production), each problem as one
 * line naming the variable: used by `validateEnvironment`, which collects every
 * problem before it throws, so an operator fixes them all in one go.
 */

/**
 * Secrets this repository ships or has shipped (docker-compose.yml, .env.example,
 * README, tests, fault tests, benchmarks): public, so never a production secret.
 * `configuration.spec.ts` scans the shipped files and fails when a value given
 * to JWT_SECRET or LINK_SECRET there is missing from this list.
 */
export const KNOWN_PLACEHOLDER_SECRETS: readonly string[] = [
  'change-me-change-me-change-me-change-me', // docker-compose.yml until issue 8
  'test-secret-test-secret-test-secret-0123', // test/support/app.ts
  'fault-tests-secret-fault-tests-secret-0123', // test/faults
  'fault-tests-link-secret-fault-tests-link-0123', // test/faults
];

/** Obvious placeholders a copy-pasted example might carry. */
const PLACEHOLDER_PATTERN =
  /change[-_ ]?me|replace[-_ ]?me|your[-_ ]?(jwt[-_ ]?|link[-_ ]?)?secret|placeholder|^(secret|password|x+)$/i;

/** VNPay's demo terminal code (the built-in sandbox's default). */
export const DEMO_TMN_CODE = 'DEMO0001';

/** Why `value` cannot sign anything in production, or undefined when it can. */
export function secretProblem(value: string | undefined, minBytes = 32): string | undefined {
  if (!value) return 'required in production';
  if (KNOWN_PLACEHOLDER_SECRETS.includes(value) || PLACEHOLDER_PATTERN.test(value)) {
    return 'is a placeholder shipped with the portal (public, so anyone can forge with it); generate one, e.g. `openssl rand -base64 48`';
  }
  if (Buffer.byteLength(value, 'utf8') < minBytes) return `shorter than ${minBytes} bytes`;
  return undefined;
}

/**
 * Why `value` (a provider URL) still points at a sandbox, or undefined: the
 * portal's own built-in sandboxes (a path under /sandbox/), VNPay's test host
 * sandbox.vnpayment.vn, or any host named sandbox.*.
 */
export function sandboxUrlProblem(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined; // the format check reports it
  }
  const host = url.hostname.toLowerCase();
  if (host === 'sandbox.vnpayment.vn') return "points at VNPay's test environment (sandbox.vnpayment.vn)";
  if (host.startsWith('sandbox.')) return `points at a sandbox host (${host})`;
  if (url.pathname.toLowerCase().split('/').includes('sandbox'))
    return "points at a sandbox (a path under /sandbox/: the portal's built-in sandbox is development only)";
  return undefined;
}

/**
 * Why the signing configuration cannot sign results in production, one line each: keys and trust list required
 * (unset means the development demo CA), readable, every key opening with the passphrase, no demo certificate.
 * Whether every agency that issues results has a key is checked against the database at start
 * (SigningService.onApplicationBootstrap).
 */
export function signingProblems(dir: string | undefined, passphrase = '', trustList: string | undefined): string[] {
  const problems: string[] = [];
  if (!trustList) {
    problems.push('SIGNING_TRUST_LIST: required in production (unset means the development demo CA)');
  } else {
    try {
      const certs = parseCertificates(readTrustList(trustList));
      if (certs.length === 0) problems.push('SIGNING_TRUST_LIST: holds no PEM certificate');
      if (certs.some(isDemoCertificate))
        problems.push('SIGNING_TRUST_LIST: contains the development demo CA; trust only real certificate authorities');
    } catch (e) {
      problems.push(`SIGNING_TRUST_LIST: cannot be read (${(e as Error).message})`);
    }
  }
  if (!dir) {
    problems.push('SIGNING_KEYS_DIR: required in production (a <agency code>.p12 per agency; unset means demo keys)');
    return problems;
  }
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.p12'));
  } catch (e) {
    return [...problems, `SIGNING_KEYS_DIR: cannot be read (${(e as Error).message})`];
  }
  for (const file of files) {
    try {
      const { certificate, chain } = readP12(readFileSync(join(dir, file)), passphrase);
      if (chain.some(isDemoCertificate) || certificate.issuer.attributes.some((a) => a.value === DEMO_CA_MARKER))
        problems.push(`SIGNING_KEYS_DIR: ${file} is a development demo key`);
    } catch {
      problems.push(`SIGNING_KEYS_DIR: ${file} cannot be opened with SIGNING_KEYS_PASSPHRASE`);
    }
  }
  return problems;
}
