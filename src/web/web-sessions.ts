import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AppConfig } from '../config/configuration';
import { WebSessionRow, WebSessionsRepository } from './web-sessions.repository';

/** A session ends after this long without a page request. */
export const SESSION_IDLE_SECONDS = 30 * 60;
/** And at the latest this long after sign-in. */
export const SESSION_ABSOLUTE_SECONDS = 12 * 3600;
/** The idle clock is restarted at most this often (one write per minute, not per request). */
const TOUCH_AFTER_MS = 60_000;

export const SESSION_COOKIE = 'portal_session';
/** The pre-session CSRF cookie (signed double submit) for the forms shown before sign-in. */
export const CSRF_COOKIE = 'portal_csrf';

const sha256 = (s: string) => createHash('sha256').update(s).digest();
const B64URL_32 = /^[A-Za-z0-9_-]{43}$/;

export interface PageSession extends WebSessionRow {
  idHash: Buffer;
}

/**
 * Page sessions and their CSRF tokens. The cookie holds 32 random bytes (base64url), HttpOnly, SameSite=Lax,
 * Secure when PUBLIC_BASE_URL is https; the table keeps only their SHA-256. The CSRF token of a session is an
 * HMAC of its stored hash (a synchronizer token that needs no column and changes with the session id); before
 * sign-in the token is an HMAC of a random cookie (signed double submit).
 */
@Injectable()
export class WebSessions {
  private readonly secure: boolean;
  private readonly csrfKey: Buffer;

  constructor(
    private readonly repo: WebSessionsRepository,
    config: ConfigService<AppConfig, true>,
  ) {
    this.secure = (config.get('PUBLIC_BASE_URL', { infer: true }) ?? '').startsWith('https:');
    const secret = config.get('JWT_SECRET', { infer: true }) ?? randomBytes(32).toString('hex');
    this.csrfKey = createHmac('sha256', secret).update('portal web csrf v1').digest();
  }

  /** The request's live session, or null (no cookie, unknown, expired, revoked, account disabled). */
  async resolve(req: FastifyRequest): Promise<PageSession | null> {
    const id = req.cookies[SESSION_COOKIE];
    if (!id || !B64URL_32.test(id)) return null;
    const idHash = sha256(id);
    const row = await this.repo.find(idHash, SESSION_IDLE_SECONDS);
    if (!row) return null;
    if (Date.now() - new Date(row.lastSeenAt).getTime() > TOUCH_AFTER_MS) await this.repo.touch(idHash);
    return { ...row, idHash };
  }

  /** Starts a session (a new id every sign-in; the old one, if any, is ended first) and sets its cookie. */
  async start(
    reply: FastifyReply,
    previous: PageSession | null,
    accountId: string,
    tokenVersion: number,
    /** The eID provider's ID token, for a session begun with eID (its logout hint). */
    idToken: string | null = null,
  ) {
    if (previous) await this.repo.delete(previous.idHash);
    await this.repo.deleteDead(accountId, SESSION_IDLE_SECONDS);
    const id = randomBytes(32).toString('base64url');
    await this.repo.create(sha256(id), accountId, tokenVersion, SESSION_ABSOLUTE_SECONDS, idToken);
    reply.setCookie(SESSION_COOKIE, id, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: this.secure,
      maxAge: SESSION_ABSOLUTE_SECONDS,
    });
    return sha256(id);
  }

  /** The eID provider's ID token of a session begun with eID, else null. */
  idToken(session: PageSession): Promise<string | null> {
    return this.repo.idToken(session.idHash);
  }

  /** Ends the session now (sign-out) and clears its cookie. */
  async end(reply: FastifyReply, session: PageSession | null): Promise<void> {
    if (session) await this.repo.delete(session.idHash);
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: this.secure });
  }

  /** The CSRF token for the forms of this response: tied to the session, or to the pre-session cookie. */
  csrfToken(req: FastifyRequest, reply: FastifyReply, session: { idHash: Buffer } | null): string {
    if (session) return this.mac('s', session.idHash);
    let pre = req.cookies[CSRF_COOKIE];
    if (!pre || !B64URL_32.test(pre)) {
      pre = randomBytes(32).toString('base64url');
      reply.setCookie(CSRF_COOKIE, pre, { path: '/', httpOnly: true, sameSite: 'lax', secure: this.secure });
      // The same request may render a form after setting it: remember it for this request.
      req.cookies[CSRF_COOKIE] = pre;
    }
    return this.mac('p', Buffer.from(pre));
  }

  /** Whether a submitted token is the one for this session (or, without a session, for the pre-session cookie). */
  checkCsrf(req: FastifyRequest, session: { idHash: Buffer } | null, submitted: unknown): boolean {
    if (typeof submitted !== 'string' || submitted.length !== 43) return false;
    let expected: string;
    if (session) expected = this.mac('s', session.idHash);
    else {
      const pre = req.cookies[CSRF_COOKIE];
      if (!pre || !B64URL_32.test(pre)) return false;
      expected = this.mac('p', Buffer.from(pre));
    }
    return timingSafeEqual(Buffer.from(submitted), Buffer.from(expected));
  }

  private mac(kind: 's' | 'p', data: Buffer): string {
    return createHmac('sha256', this.csrfKey).update(kind).update(data).digest('base64url');
  }
}
