import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import type { IncomingMessage } from 'node:http';
import { createHash, createPrivateKey, randomBytes, timingSafeEqual } from 'node:crypto';
import { BaseClient, custom, errors, generators, Issuer, TokenSet } from 'openid-client';
import { DataSource } from 'typeorm';
import { ServiceUnavailable, Unauthorized } from '../../common/problem';
import type { AppConfig } from '../../config/configuration';
import { AccountsRepository } from '../accounts.repository';
import { AuthService } from '../auth.service';
import type { AuthUser } from '../auth-user';
import { ID_NUMBER, TokensDto } from '../dto';
import { hashPassword } from '../passwords';
import { EidFlowsRepository, LinkClaims } from './eid-flows.repository';

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** A sign-in started must come back within this long. */
export const EID_FLOW_SECONDS = 600;
/** The code a mobile app trades for tokens lives this long. */
export const HANDOFF_CODE_SECONDS = 300;
/** Clock difference tolerated between the provider and the portal (iat, exp, nbf of the ID token). */
export const EID_CLOCK_TOLERANCE_SECONDS = 60;

/** Why an eID sign-in did not end in a session; each is a plain-words page (src/web/pages/eid.page.tsx). */
export type EidFailure =
  | 'denied' // the citizen cancelled or refused at the provider
  | 'provider' // the provider answered with another error
  | 'invalid' // the answer failed a check (signature, issuer, audience, expiry, nonce, PKCE)
  | 'expired' // no live sign-in for this state (replayed, too old, another browser)
  | 'claims' // the provider sent no usable ID number
  | 'disabled' // the account of this ID number is disabled
  | 'staff' // the ID number is a staff account's: staff sign in with their password and second factor
  | 'taken' // linking: another account verified this ID number meanwhile
  | 'unavailable'; // the provider cannot be reached

export type EidOutcome =
  | {
      kind: 'signed-in';
      flowId: string;
      accountId: string;
      role: AuthUser['role'];
      tokenVersion: number;
      idToken: string;
      next: string | null;
      handoff: boolean;
    }
  | { kind: 'link'; linkKey: string }
  | { kind: 'failed'; reason: EidFailure; error?: string };

interface Claims {
  idNumber: string;
  fullName: string;
  birthdate: string | null;
  phone: string | null;
}

/**
 * The relying party of the national eID (OpenID Connect, openid-client): authorization code flow with PKCE (S256),
 * `state` and `nonce` kept server-side in `eid_flows` (single use, bound to the browser by a random HttpOnly cookie,
 * or to a mobile app by its flow id), the ID token checked against the provider's JWKS (fetched again on an
 * unknown `kid`), its issuer, audience, expiry (60 s of clock skew tolerated) and nonce. The account is the one
 * whose **verified** ID number matches; else an existing password account with the same unverified number is
 * linked once its owner proves the password; else a new citizen account is made from the claims, its ID number
 * verified. A verified number belongs to one account (a unique index; a race that loses re-reads the winner).
 */
@Injectable()
export class EidService {
  private readonly log = new Logger('EidService');
  private client?: Promise<BaseClient>;

  constructor(
    private readonly config: ConfigService<AppConfig, true>,
    @InjectDataSource() private readonly db: DataSource,
    private readonly flows: EidFlowsRepository,
    private readonly accounts: AccountsRepository,
    private readonly auth: AuthService,
  ) {}

  /** Whether eID sign-in is configured (OIDC_ISSUER, or the sandbox provider in development). */
  get enabled(): boolean {
    return !!this.config.get('OIDC_ISSUER', { infer: true });
  }

  get redirectUri(): string {
    return `${this.config.get('PUBLIC_BASE_URL', { infer: true })}/login/eid/callback`;
  }

  get postLogoutRedirectUri(): string {
    return `${this.config.get('PUBLIC_BASE_URL', { infer: true })}/login?notice=signed-out`;
  }

  /** The client, from the provider's discovery document (fetched once; again after a failure). */
  private rp(): Promise<BaseClient> {
    this.client ??= this.discover().catch((err: unknown) => {
      this.client = undefined;
      throw err;
    });
    return this.client;
  }

  private async discover(): Promise<BaseClient> {
    custom.setHttpOptionsDefaults({ timeout: 5000 });
    const issuer = await Issuer.discover(this.config.get('OIDC_ISSUER', { infer: true }));
    const key = this.config.get('OIDC_CLIENT_KEY', { infer: true });
    const metadata = {
      client_id: this.config.get('OIDC_CLIENT_ID', { infer: true }),
      redirect_uris: [this.redirectUri],
      post_logout_redirect_uris: [this.postLogoutRedirectUri],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
    };
    let client: BaseClient;
    if (key) {
      const jwk = privateJwk(key);
      client = new issuer.Client(
        {
          ...metadata,
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: jwk.kty === 'EC' ? 'ES256' : 'RS256',
        },
        { keys: [jwk] },
      );
    } else {
      client = new issuer.Client({
        ...metadata,
        client_secret: this.config.get('OIDC_CLIENT_SECRET', { infer: true }),
        token_endpoint_auth_method: 'client_secret_basic',
      });
    }
    client[custom.clock_tolerance] = EID_CLOCK_TOLERANCE_SECONDS;
    return client;
  }

  /**
   * Starts a sign-in: a flow row (state, nonce, PKCE verifier) and the provider's authorization URL. A web
   * sign-in is bound to `browserKey` (its cookie); a mobile one (`handoff`) to the returned flow id.
   */
  async start(opts: {
    browserKey?: string;
    next?: string;
    handoff?: boolean;
  }): Promise<{ url: string; flowId: string }> {
    const client = await this.rp().catch((err: unknown) => {
      this.log.error({ err }, 'eID provider unreachable');
      throw new ServiceUnavailable('The national eID provider cannot be reached; try again shortly.');
    });
    const state = generators.state();
    const nonce = generators.nonce();
    const codeVerifier = generators.codeVerifier();
    const flowId = await this.flows.create({
      state,
      nonce,
      codeVerifier,
      browserHash: opts.browserKey ? sha256(opts.browserKey) : null,
      handoff: !!opts.handoff,
      next: opts.next ?? null,
      ttlSeconds: EID_FLOW_SECONDS,
    });
    const url = client.authorizationUrl({
      scope: this.config.get('OIDC_SCOPES', { infer: true }),
      state,
      nonce,
      code_challenge: generators.codeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      redirect_uri: this.redirectUri,
    });
    return { url, flowId };
  }

  /** The browser is back from the provider: checks everything, then finds, links or makes the account. */
  async callback(req: IncomingMessage, browserKey: string | undefined): Promise<EidOutcome> {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const state = query.get('state');
    const flow = state ? await this.flows.spend(state) : undefined;
    const providerError = query.get('error') ?? undefined;
    if (!flow) {
      return { kind: 'failed', reason: providerError === 'access_denied' ? 'denied' : 'expired', error: providerError };
    }
    if (!flow.handoff && !(browserKey && flow.browserHash && timingSafeEqual(sha256(browserKey), flow.browserHash))) {
      return { kind: 'failed', reason: 'expired' };
    }
    let client: BaseClient;
    let tokens: TokenSet;
    try {
      client = await this.rp();
      const params = client.callbackParams(req);
      tokens = await client.callback(this.redirectUri, params, {
        state: state!,
        nonce: flow.nonce,
        code_verifier: flow.codeVerifier,
        response_type: 'code',
      });
    } catch (err) {
      if (err instanceof errors.OPError) {
        return { kind: 'failed', reason: err.error === 'access_denied' ? 'denied' : 'provider', error: err.error };
      }
      if (err instanceof errors.RPError) {
        this.log.warn({ err: err.message }, 'eID answer refused');
        return { kind: 'failed', reason: 'invalid' };
      }
      this.log.error({ err }, 'eID provider unreachable');
      return { kind: 'failed', reason: 'unavailable' };
    }
    const claims = await this.claims(client, tokens);
    if (!claims) return { kind: 'failed', reason: 'claims' };
    return this.resolve(flow, claims, tokens.id_token!);
  }

  private async claims(client: BaseClient, tokens: TokenSet): Promise<Claims | undefined> {
    let raw: Record<string, unknown> = tokens.claims();
    const name = (key: 'OIDC_CLAIM_ID_NUMBER' | 'OIDC_CLAIM_FULL_NAME' | 'OIDC_CLAIM_BIRTHDATE' | 'OIDC_CLAIM_PHONE') =>
      this.config.get(key, { infer: true });
    if (raw[name('OIDC_CLAIM_ID_NUMBER')] === undefined && client.issuer.metadata.userinfo_endpoint) {
      try {
        raw = { ...raw, ...(await client.userinfo(tokens)) };
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'eID userinfo failed');
        return undefined;
      }
    }
    const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);
    const idNumber = text(raw[name('OIDC_CLAIM_ID_NUMBER')]);
    if (!idNumber || !ID_NUMBER.test(idNumber)) return undefined;
    const birthdate = text(raw[name('OIDC_CLAIM_BIRTHDATE')]);
    const phone = text(raw[name('OIDC_CLAIM_PHONE')])?.replace(/^\+84/, '0') ?? null;
    return {
      idNumber,
      fullName: (text(raw[name('OIDC_CLAIM_FULL_NAME')]) ?? idNumber).slice(0, 200),
      birthdate: birthdate && /^\d{4}-\d{2}-\d{2}$/.test(birthdate) ? birthdate : null,
      phone: phone && /^0\d{9}$/.test(phone) ? phone : null,
    };
  }

  /** The account of these claims: the verified one, a password account to link, or a new one. */
  private async resolve(
    flow: { id: string; handoff: boolean; next: string | null },
    claims: Claims,
    idToken: string,
  ): Promise<EidOutcome> {
    const existing = await this.accounts.findByVerifiedIdNumber(claims.idNumber);
    // eID is the citizens' door: a staff account behind this ID number would skip its second factor here.
    if (existing && existing.role !== 'citizen') return { kind: 'failed', reason: 'staff' };
    if (existing) return this.signIn(flow, existing.id, existing.role, idToken);
    const unverified = await this.accounts.findUnverifiedByIdNumber(claims.idNumber);
    if (unverified) {
      const linkKey = randomBytes(32).toString('base64url');
      const link: LinkClaims = { idNumber: claims.idNumber, fullName: claims.fullName };
      await this.flows.awaitLink(flow.id, sha256(linkKey), unverified.id, link, idToken);
      return { kind: 'link', linkKey };
    }
    // A new citizen. The unique index on verified ID numbers decides a race: the loser finds the winner's account.
    const passwordHash = await hashPassword(randomBytes(32).toString('base64url'));
    for (const phone of claims.phone ? [claims.phone, null] : [null]) {
      const created = await this.accounts.insertVerifiedCitizen({ ...claims, phone, passwordHash, locale: 'vi' });
      if (created) return this.signIn(flow, created.id, 'citizen', idToken);
      const winner = await this.accounts.findByVerifiedIdNumber(claims.idNumber);
      if (winner && winner.role !== 'citizen') return { kind: 'failed', reason: 'staff' };
      if (winner) return this.signIn(flow, winner.id, winner.role, idToken);
      // Else the phone belongs to another account: the new one goes without it.
    }
    return { kind: 'failed', reason: 'claims' };
  }

  private async signIn(
    flow: { id: string; handoff: boolean; next: string | null },
    accountId: string,
    role: AuthUser['role'],
    idToken: string,
  ): Promise<EidOutcome> {
    const tokenVersion = await this.auth.markEidSignIn(accountId);
    if (tokenVersion === undefined) return { kind: 'failed', reason: 'disabled' };
    this.log.log({ accountId, event: 'eid-sign-in' }, 'signed in with eID');
    return {
      kind: 'signed-in',
      flowId: flow.id,
      accountId,
      role,
      tokenVersion,
      idToken,
      next: flow.next,
      handoff: flow.handoff,
    };
  }

  /** The account a pending link would verify (for its page), or undefined when the link is gone. */
  async pendingLink(linkKey: string | undefined) {
    if (!linkKey) return undefined;
    return this.flows.pendingLink(sha256(linkKey));
  }

  /**
   * The citizen proves the password of the account to link: its ID number becomes verified (unless another
   * account verified it meanwhile: 'taken') and the sign-in completes. `wrong-password` leaves the link open.
   */
  async completeLink(
    linkKey: string | undefined,
    password: string,
    address: string,
  ): Promise<EidOutcome | { kind: 'wrong-password' }> {
    const link = await this.pendingLink(linkKey);
    if (!link) return { kind: 'failed', reason: 'expired' };
    if (!(await this.auth.checkPasswordOf(link.accountId, password, address))) return { kind: 'wrong-password' };
    await this.flows.closeLink(link.id);
    let verified: boolean;
    try {
      verified = await this.db.transaction((m) =>
        this.accounts.verifyIdNumber(m, link.accountId, link.claims.idNumber),
      );
    } catch (err) {
      if ((err as { driverError?: { code?: string } }).driverError?.code === '23505') {
        return { kind: 'failed', reason: 'taken' };
      }
      throw err;
    }
    if (!verified) return { kind: 'failed', reason: 'expired' };
    this.log.log({ accountId: link.accountId, event: 'eid-linked' }, 'eID linked to a password account');
    return this.signIn(link, link.accountId, 'citizen', link.idToken);
  }

  /** A mobile sign-in reached its account: the one-time code the app trades for tokens. */
  async handoffCode(flowId: string, accountId: string): Promise<string> {
    const code = randomBytes(6).toString('hex').toUpperCase();
    await this.flows.setHandoffCode(flowId, accountId, sha256(code), HANDOFF_CODE_SECONDS);
    return code;
  }

  /** The app trades its flow id and the code shown in the browser for tokens, once (a wrong code spends it too). */
  async exchange(flowId: string, code: string): Promise<TokensDto> {
    const spent = await this.flows.spendHandoffCode(flowId);
    const given = sha256(code.trim().toUpperCase());
    if (!spent || !timingSafeEqual(given, spent.codeHash)) {
      throw new Unauthorized('The sign-in code is not valid, was already used or has expired.');
    }
    return this.auth.tokensAfterEid(spent.accountId);
  }

  /** The provider's logout (RP-initiated) for a session begun with this ID token, when the provider has one. */
  async logoutUrl(idToken: string | null): Promise<string | undefined> {
    if (!idToken || !this.enabled) return undefined;
    try {
      const client = await this.rp();
      if (!client.issuer.metadata.end_session_endpoint) return undefined;
      return client.endSessionUrl({ id_token_hint: idToken, post_logout_redirect_uri: this.postLogoutRedirectUri });
    } catch {
      return undefined;
    }
  }
}

/** OIDC_CLIENT_KEY (PEM PKCS#8 or a JWK as JSON) as a private JWK with a key id. */
function privateJwk(key: string): Record<string, unknown> & { kty: string } {
  const trimmed = key.trim();
  const jwk = trimmed.startsWith('{')
    ? (JSON.parse(trimmed) as Record<string, unknown> & { kty: string })
    : // Through JSON: a plain object of this realm, as openid-client's key-set check wants (a test VM's realm too).
      (JSON.parse(JSON.stringify(createPrivateKey(trimmed).export({ format: 'jwk' }))) as Record<string, unknown> & {
        kty: string;
      });
  jwk.kid ??= createHash('sha256')
    .update(JSON.stringify({ n: jwk.n, x: jwk.x }))
    .digest('base64url')
    .slice(0, 16);
  return jwk;
}
