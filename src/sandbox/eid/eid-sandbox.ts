import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { AppConfig } from '../../config/configuration';
import { DEMO_CITIZENS } from '../../database/demo-data';

/** Where the sandbox provider lives, under PUBLIC_BASE_URL. */
export const EID_SANDBOX_PATH = '/sandbox/eid';

/** A person the sandbox provider can sign in (what VNeID would know about them). */
export interface SandboxPerson {
  sub: string;
  idNumber: string;
  fullName: string;
  birthdate: string;
  phone: string | null;
  /** Shown on the sign-in page: no portal account has this ID number yet (at the start). */
  newcomer?: boolean;
}

/** The demo citizens of the seed, and one person who has no account on the portal yet. */
const PEOPLE: SandboxPerson[] = [
  ...DEMO_CITIZENS.map((c, i) => ({
    sub: `demo-${c.idNumber}`,
    idNumber: c.idNumber,
    fullName: c.fullName,
    birthdate: i === 0 ? '1990-05-12' : '1985-11-30',
    phone: null,
  })),
  {
    sub: 'demo-079095000123',
    idNumber: '079095000123',
    fullName: 'Phạm Minh Châu',
    birthdate: '1995-02-14',
    phone: null,
    newcomer: true,
  },
];

/** The part of oidc-provider 7 (CommonJS, untyped) the sandbox uses. */
interface OidcProvider {
  proxy: boolean;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{ uid: string; prompt: { name: string }; params: Record<string, unknown> }>;
  interactionResult(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    opts?: { mergeWithLastSubmission?: boolean },
  ): Promise<string>;
  on(event: string, listener: (...args: unknown[]) => void): void;
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;
interface OidcContext {
  oidc: {
    client: { clientId: string };
    session: { accountId: string; grantIdFor(clientId: string): string | undefined };
    result?: { consent?: { grantId?: string } };
    provider: { Grant: GrantClass };
  };
  type: string;
  body: string;
}
interface Grant {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}
type GrantClass = (new (init: { clientId: string; accountId: string }) => Grant) & {
  find(id: string): Promise<Grant | undefined>;
};

/**
 * The sandbox national eID provider (development and tests): a real OpenID Connect provider (oidc-provider 7)
 * at `$PUBLIC_BASE_URL/sandbox/eid`, mounted on Fastify (a wildcard route hands the raw request to its Koa app),
 * with one client registered from the portal's OIDC_* configuration, RS256 signing keys made at start (and
 * `rotateKeys()` for tests), PKCE required, RP-initiated logout, and its own sign-in page listing demo people
 * (src/sandbox/eid/eid-sandbox.page.tsx). Consent is granted at once (the portal is the only client). Its state
 * lives in memory: one process, development only (SANDBOX_ENABLED is refused in production).
 */
@Injectable()
export class EidSandbox implements OnModuleInit {
  private readonly log = new Logger('EidSandbox');
  private readonly people = [...PEOPLE];
  private readonly cookieKeys = [randomBytes(32).toString('base64url')];
  private keys: Record<string, unknown>[] = [];
  private current?: OidcProvider;

  constructor(
    private readonly config: ConfigService<AppConfig, true>,
    private readonly adapter: HttpAdapterHost,
  ) {}

  get issuer(): string {
    return `${this.config.get('PUBLIC_BASE_URL', { infer: true })}${EID_SANDBOX_PATH}`;
  }

  /** The people its sign-in page offers. */
  list(): readonly SandboxPerson[] {
    return this.people;
  }

  /** Tests: one more person the provider knows (e.g. a new citizen with a fresh ID number). */
  addPerson(person: Omit<SandboxPerson, 'sub'>): SandboxPerson {
    const p = { ...person, sub: `p-${person.idNumber}-${this.people.length}` };
    this.people.push(p);
    return p;
  }

  /**
   * Tests: key rotation as providers do it: a new signing key first in the JWKS (tokens are signed with it), the
   * previous one still published (tokens it signed stay valid), older ones dropped.
   */
  rotateKeys(): string {
    this.keys = [newSigningKey(), ...this.keys.slice(0, 1)];
    this.current = this.build();
    return this.keys[0].kid as string;
  }

  get provider(): OidcProvider {
    if (!this.current) {
      this.keys = [newSigningKey()];
      this.current = this.build();
    }
    return this.current;
  }

  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter?.getInstance<FastifyInstance>();
    // Mounted on Fastify directly (outside Nest's guards): the switch is checked here as SandboxGuard checks it.
    if (!fastify || this.config.get('SANDBOX_ENABLED', { infer: true }) !== 'true') return;
    void fastify.register((instance, _opts, done) => {
      // oidc-provider reads request bodies itself: leave the stream unread.
      instance.removeAllContentTypeParsers();
      instance.addContentTypeParser('*', (_req, _payload, next) => next(null));
      const handler = (req: { raw: IncomingMessage }, reply: { hijack(): void; raw: ServerResponse }) => {
        reply.hijack();
        const raw = req.raw as IncomingMessage & { originalUrl?: string };
        raw.originalUrl = raw.url;
        raw.url = (raw.url ?? '').slice(EID_SANDBOX_PATH.length) || '/';
        this.provider.callback()(raw, reply.raw);
      };
      instance.all(`${EID_SANDBOX_PATH}/*`, handler);
      done();
    });
  }

  private build(): OidcProvider {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Provider = require('oidc-provider') as ProviderClass;
    const base = this.config.get('PUBLIC_BASE_URL', { infer: true });
    const claim = {
      id: this.config.get('OIDC_CLAIM_ID_NUMBER', { infer: true }),
      name: this.config.get('OIDC_CLAIM_FULL_NAME', { infer: true }),
      birthdate: this.config.get('OIDC_CLAIM_BIRTHDATE', { infer: true }),
      phone: this.config.get('OIDC_CLAIM_PHONE', { infer: true }),
    };
    const scopes = this.config.get('OIDC_SCOPES', { infer: true });
    const clientKey = this.config.get('OIDC_CLIENT_KEY', { infer: true });
    const client: Record<string, unknown> = {
      client_id: this.config.get('OIDC_CLIENT_ID', { infer: true }),
      redirect_uris: [`${base}/login/eid/callback`],
      post_logout_redirect_uris: [`${base}/login?notice=signed-out`],
      response_types: ['code'],
      grant_types: ['authorization_code'],
    };
    if (clientKey) {
      client.token_endpoint_auth_method = 'private_key_jwt';
      client.jwks = { keys: [publicJwk(clientKey)] };
    } else {
      client.client_secret = this.config.get('OIDC_CLIENT_SECRET', { infer: true });
      client.token_endpoint_auth_method = 'client_secret_basic';
    }
    const people = this.people;
    const provider = new Provider(this.issuer, {
      clients: [client],
      jwks: { keys: this.keys },
      cookies: { keys: this.cookieKeys },
      pkce: { required: () => true, methods: ['S256'] },
      ttl: { AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 3600 },
      conformIdTokenClaims: false,
      claims: { openid: ['sub'], profile: [claim.id, claim.name, claim.birthdate, claim.phone] },
      features: {
        devInteractions: { enabled: false },
        rpInitiatedLogout: { enabled: true, logoutSource },
      },
      interactions: {
        url: (_ctx: unknown, interaction: { uid: string }) => `${EID_SANDBOX_PATH}/interaction/${interaction.uid}`,
      },
      findAccount: (_ctx: unknown, sub: string) => {
        const person = people.find((p) => p.sub === sub);
        if (!person) return undefined;
        return {
          accountId: sub,
          claims: () => ({
            sub,
            [claim.id]: person.idNumber,
            [claim.name]: person.fullName,
            [claim.birthdate]: person.birthdate,
            ...(person.phone ? { [claim.phone]: person.phone } : {}),
          }),
        };
      },
      // The portal is the provider's only client: consent is granted at once.
      loadExistingGrant: async (ctx: OidcContext) => {
        const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
        if (grantId) {
          const found = await ctx.oidc.provider.Grant.find(grantId);
          if (found) return found;
        }
        const grant = new ctx.oidc.provider.Grant({
          clientId: ctx.oidc.client.clientId,
          accountId: ctx.oidc.session.accountId,
        });
        grant.addOIDCScope(scopes);
        await grant.save();
        return grant;
      },
    });
    provider.proxy = true;
    provider.on('server_error', (_ctx, err) => this.log.error({ err }, 'sandbox eID provider error'));
    return provider;
  }
}

/** The provider's "sign out?" page (RP-initiated logout): its form, one button, accessible HTML. */
function logoutSource(ctx: OidcContext, form: string): void {
  ctx.type = 'html';
  ctx.body = `<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>VNeID thử nghiệm: đăng xuất</title></head>
<body><main><h1>VNeID thử nghiệm: đăng xuất</h1>
<p>Cổng dịch vụ công đề nghị kết thúc phiên đăng nhập định danh điện tử của bạn.</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Đăng xuất khỏi VNeID</button>
</main></body></html>`;
}

function newSigningKey(): Record<string, unknown> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const kid = createHash('sha256').update(String(jwk.n)).digest('base64url').slice(0, 16);
  return { ...jwk, kid, alg: 'RS256', use: 'sig' };
}

/** The public half of OIDC_CLIENT_KEY (PEM or JWK JSON), with the same key id the portal derives. */
function publicJwk(key: string): Record<string, unknown> {
  const trimmed = key.trim();
  const priv = trimmed.startsWith('{')
    ? createPrivateKey({ key: JSON.parse(trimmed) as never, format: 'jwk' })
    : createPrivateKey(trimmed);
  const privJwk = priv.export({ format: 'jwk' }) as Record<string, unknown>;
  const jwk = createPublicKey(priv).export({ format: 'jwk' }) as Record<string, unknown>;
  const given = trimmed.startsWith('{') ? (JSON.parse(trimmed) as { kid?: string }).kid : undefined;
  jwk.kid =
    given ??
    createHash('sha256')
      .update(JSON.stringify({ n: privJwk.n, x: privJwk.x }))
      .digest('base64url')
      .slice(0, 16);
  return jwk;
}
