import { Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import type { AppConfig } from '../../config/configuration';
import type { FastifyInstance } from 'fastify';
import { Button, Csrf, e, ErrorSummary, FormErrors, Radios } from '../../web/components';
import { Layout } from '../../web/layout';
import { Html, PageContext, PageRoute, Redirect } from '../../web/page';
import { WebRouter } from '../../web/web.router';
import { EID_SANDBOX_PATH, EidSandbox } from './eid-sandbox';

/**
 * The sandbox eID provider's sign-in page (its "interaction"): the demo people to choose from, rendered like the
 * portal's pages (accessible radios, both languages); choosing one signs them in at the provider, which grants
 * consent at once and sends the browser back to the portal; "cancel" answers the portal with access_denied.
 */
@Injectable()
export class EidSandboxPages implements OnModuleInit {
  constructor(
    private readonly sandbox: EidSandbox,
    private readonly moduleRef: ModuleRef,
    private readonly adapter: HttpAdapterHost,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  /**
   * Served through the pages' router (session-free pages, CSRF, language), found in the application rather than
   * imported: the sandbox does not depend on the web module. Page routes sit outside Nest's guards, so the switch
   * is checked here as SandboxGuard checks it for the controllers.
   */
  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify || this.config.get('SANDBOX_ENABLED', { infer: true }) !== 'true') return;
    const router = this.moduleRef.get(WebRouter, { strict: false });
    router.register(fastify, this.routes());
  }

  routes(): PageRoute[] {
    const url = `${EID_SANDBOX_PATH}/interaction/:uid`;
    return [
      { method: 'GET', url, handler: (c) => this.form(c, []) },
      { method: 'POST', url, handler: (c) => this.choose(c) },
    ];
  }

  private async form(c: PageContext, errors: FormErrors) {
    const { tx } = c;
    const details = await this.sandbox.provider.interactionDetails(c.req.raw, c.reply.raw);
    const action = `${EID_SANDBOX_PATH}/interaction/${details.uid}`;
    const html = (
      <Layout
        tx={tx}
        title={tx.t('eid.sandbox.title')}
        path={c.path}
        signedIn={false}
        csrf={c.csrf()}
        hasErrors={errors.length > 0}
      >
        <div class="govuk-grid-row">
          <div class="govuk-grid-column-two-thirds">
            <ErrorSummary tx={tx} errors={errors} />
            <h1 class="govuk-heading-l">{e(tx.t('eid.sandbox.title'))}</h1>
            <p class="govuk-body">{e(tx.t('eid.sandbox.intro'))}</p>
            <form method="post" action={action} novalidate>
              <Csrf token={c.csrf()} />
              <Radios
                tx={tx}
                name="person"
                legend={tx.t('eid.sandbox.legend')}
                errors={errors}
                choices={this.sandbox.list().map((p) => ({
                  value: p.sub,
                  label: tx.t('eid.sandbox.person', { name: p.fullName, idNumber: p.idNumber }),
                  hint: p.newcomer ? tx.t('eid.sandbox.newPerson') : undefined,
                }))}
              />
              <Button>{e(tx.t('eid.sandbox.submit'))}</Button>
            </form>
            <form method="post" action={action}>
              <Csrf token={c.csrf()} />
              <input type="hidden" name="cancel" value="yes" />
              <Button secondary>{e(tx.t('eid.sandbox.cancel'))}</Button>
            </form>
          </div>
        </div>
      </Layout>
    );
    return errors.length ? new Html(html, 422) : html;
  }

  private async choose(c: PageContext) {
    const provider = this.sandbox.provider;
    if (c.body.cancel === 'yes') {
      const to = await provider.interactionResult(
        c.req.raw,
        c.reply.raw,
        { error: 'access_denied', error_description: 'The citizen cancelled the sign-in.' },
        { mergeWithLastSubmission: false },
      );
      return new Redirect(to);
    }
    const person = this.sandbox.list().find((p) => p.sub === c.body.person);
    if (!person) return this.form(c, [{ field: 'person', message: c.tx.t('eid.sandbox.choose') }]);
    const to = await provider.interactionResult(
      c.req.raw,
      c.reply.raw,
      { login: { accountId: person.sub } },
      { mergeWithLastSubmission: false },
    );
    return new Redirect(to);
  }
}
