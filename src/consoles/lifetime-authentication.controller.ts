import { Body, Controller, Get, Header, HttpStatus, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CsrfService } from '../auth/csrf.service.js';
import { LifeTimePage, Public } from '../auth/decorators.js';
import { DomainException } from '../common/domain.exception.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { html, type Html } from '../common/html.js';
import type { MatchClaim } from '../identity-providers/identity-provider.entity.js';
import { IdentityProvidersService, type ProviderChanges, type ProviderView } from '../identity-providers/identity-providers.service.js';
import { ClientAssertionKeysService } from '../identity-providers/client-assertion-keys.service.js';
import { isClientAuthMethod, usesClientSecret } from '../identity-providers/client-auth.js';
import type { ProbeResult } from '../identity-providers/provider-probe.js';
import { checkProviderId } from '../identity-providers/provider-rules.js';
import { scimBaseUrl } from '../provisioning/scim-api.decorator.js';
import { ScimTokensService } from '../provisioning/scim-tokens.service.js';
import { COPY_BUTTON_SCRIPT } from './assets/copy-button.js';
import { COPY_BUTTON_PATH, lifetimePage, setFlash } from './console-layout.js';
import { confirmPage } from './lifetime-views.js';
import { EMPTY_FORM, failedTestNotice, newProviderBody, providerListBody, providerPageBody, type ClientKeyMaterial, type ProviderForm } from './lifetime-authentication-views.js';
import { provisioningSection } from './lifetime-provisioning-views.js';

type Form = Record<string, unknown>;
const SECTION = '/lifetime/authentication';

/**
 * LifeTime › Authentication: the identity providers, on the same IdentityProvidersService as the
 * admin API (its rules, audit events and Test). Every form carries the CSRF token; each action
 * leaves a flash message; deleting asks first, and so does saving or enabling a provider whose Test
 * fails (people could not sign in with it).
 */
@ApiExcludeController()
@Controller()
export class LifeTimeAuthenticationController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly providers: IdentityProvidersService,
    private readonly scimTokens: ScimTokensService,
    private readonly csrf: CsrfService,
    private readonly assertionKeys: ClientAssertionKeysService,
  ) {}

  @Public({ breakGlass: true })
  @Get(COPY_BUTTON_PATH)
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  copyButtonScript(): string {
    return COPY_BUTTON_SCRIPT;
  }

  @LifeTimePage()
  @Get(SECTION)
  async list(@Req() req: Request): Promise<string> {
    return this.render(req, 'Authentication', providerListBody({ providers: await this.providers.list() }));
  }

  @LifeTimePage()
  @Get(`${SECTION}/new`)
  newForm(@Req() req: Request): string {
    return this.render(req, 'Add a provider', newProviderBody({ form: EMPTY_FORM, csrfToken: this.csrf.token(req) }));
  }

  @LifeTimePage()
  @Post(`${SECTION}/new`)
  async create(@Body() body: Form, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.csrf.verify(req);
    const form = readForm(body);
    if (body.action === 'details') {
      const { form: filled, discovery } = await this.details(form);
      res.status(HttpStatus.OK).type('html').send(this.render(req, 'Add a provider', newProviderBody({ form: filled, csrfToken: this.csrf.token(req), discovery })));
      return;
    }
    try {
      const input = { ...changesOf(form, body), id: form.id, enabled: form.enabled } as Parameters<IdentityProvidersService['create']>[0];
      const preflight = form.enabled && body.confirm !== 'anyway' ? await this.providers.testBeforeSave(input, this.actor(req)) : undefined;
      if (preflight && !preflight.result.ok) {
        const typed = { result: preflight.result, clientSecret: input.clientSecret };
        res.status(HttpStatus.OK).type('html').send(this.render(req, 'Add a provider', newProviderBody({ form, csrfToken: this.csrf.token(req), preflight: typed })));
        return;
      }
      const created = await this.providers.create(input, this.actor(req));
      // The Test just run is of exactly what was added: it is the provider's first Test.
      if (preflight) await this.providers.keepTest(created.id, preflight);
      await setFlash(req, 'success', `Added ${created.displayName}. Register its redirect URI at the provider, then run the Test.`);
      res.redirect(303, `${SECTION}/${created.id}`);
    } catch (error) {
      const refusal = asRefusal(error);
      res.status(refusal.status).type('html').send(this.render(req, 'Add a provider', html`${errorFlash(refusal)}${newProviderBody({ form, csrfToken: this.csrf.token(req) })}`));
    }
  }

  @LifeTimePage()
  @Get(`${SECTION}/:id`)
  async show(@Param('id') id: string, @Req() req: Request): Promise<string> {
    const provider = await this.providers.get(checkProviderId(id));
    const csrfToken = this.csrf.token(req);
    const provisioning = provisioningSection({ providerId: provider.id, baseUrl: scimBaseUrl(this.config), tokens: await this.scimTokens.list(provider.id), csrfToken });
    return this.render(req, provider.displayName, providerPageBody({ provider, csrfToken, provisioning, keys: await this.keyMaterial(provider) }));
  }

  /** The certificate of the client assertion key, to upload at providers that take one (Entra ID, Auth0). */
  @LifeTimePage()
  @Get(`${SECTION}/:id/certificate.pem`)
  async certificate(@Param('id') id: string, @Query('key') key: string | undefined, @Res() res: Response): Promise<void> {
    const provider = await this.providers.get(checkProviderId(id));
    const next = key === 'next';
    const certificate = await this.assertionKeys.certificate(next ? 'next' : 'current');
    if (!certificate) throw new DomainException('no_next_key', HttpStatus.NOT_FOUND, 'No next client assertion key is waiting yet; the current one keeps signing.', { title: 'No next key yet' });
    res
      .status(HttpStatus.OK)
      .set({ 'Content-Type': 'application/x-pem-file', 'Content-Disposition': `attachment; filename="${provider.id}-client-assertion${next ? '-next' : ''}.pem"`, 'Cache-Control': 'no-store' })
      .send(certificate.pem);
  }

  @LifeTimePage()
  @Post(`${SECTION}/:id/settings`)
  async update(@Param('id') id: string, @Body() body: Form, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.csrf.verify(req);
    const provider = await this.providers.get(checkProviderId(id));
    const form = { ...readForm(body), id: provider.id, enabled: provider.enabled };
    if (body.action === 'details') {
      const { form: filled, discovery } = await this.details(form);
      res.status(HttpStatus.OK).type('html').send(this.render(req, provider.displayName, providerPageBody({ provider, form: filled, discovery, csrfToken: this.csrf.token(req), keys: await this.keyMaterial(provider) })));
      return;
    }
    try {
      const changes = changesOf(form, body);
      // Only an enabled provider's settings decide whether people can sign in now.
      const draft = { ...changes, id: provider.id, issuer: form.issuer, clientId: form.clientId };
      const preflight = provider.enabled && body.confirm !== 'anyway' ? await this.providers.testBeforeSave(draft, this.actor(req)) : undefined;
      if (preflight && !preflight.result.ok) {
        const typed = { result: preflight.result, clientSecret: changes.clientSecret };
        res.status(HttpStatus.OK).type('html').send(this.render(req, provider.displayName, providerPageBody({ provider, form, csrfToken: this.csrf.token(req), preflight: typed, keys: await this.keyMaterial(provider) })));
        return;
      }
      const updated = await this.providers.update(provider.id, changes, this.actor(req));
      // The Test just run is of exactly what was saved: it is the provider's last Test now.
      if (preflight) await this.providers.keepTest(provider.id, preflight);
      await setFlash(req, 'success', `Saved ${updated.displayName}.`);
      res.redirect(303, `${SECTION}/${provider.id}`);
    } catch (error) {
      const refusal = asRefusal(error);
      res.status(refusal.status).type('html').send(this.render(req, provider.displayName, html`${errorFlash(refusal)}${providerPageBody({ provider, form, csrfToken: this.csrf.token(req), keys: await this.keyMaterial(provider) })}`));
    }
  }

  @LifeTimePage()
  @Post(`${SECTION}/:id/test`)
  async test(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.csrf.verify(req);
    const result = await this.providers.test(checkProviderId(id), this.actor(req));
    const failed = result.steps.find((step) => !step.ok);
    const warned = result.steps.find((step) => step.warning);
    if (failed) await setFlash(req, 'error', `Test failed at the ${failed.step} step: ${failed.message}`);
    else if (warned) await setFlash(req, 'warning', `Test passed with a warning at the ${warned.step} step: ${warned.message}`);
    else await setFlash(req, 'success', 'Test passed: every step succeeded.');
    res.redirect(303, `${SECTION}/${id}#test`);
  }

  @LifeTimePage()
  @Post(`${SECTION}/:id/enable`)
  async enable(@Param('id') id: string, @Body() body: Form, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.csrf.verify(req);
    if (body.confirm !== 'yes') {
      const result = await this.providers.test(checkProviderId(id), this.actor(req));
      if (!result.ok) {
        const provider = await this.providers.get(checkProviderId(id));
        const question = `Enable ${provider.displayName} although its Test fails? The sign-in page would offer it, and people choosing it could not sign in.`;
        const confirm = confirmPage({ action: `${SECTION}/${id}/enable`, question, button: 'Enable anyway', back: `${SECTION}/${id}`, csrfToken: this.csrf.token(req) });
        res.status(HttpStatus.OK).type('html').send(this.render(req, 'Confirm', html`${failedTestNotice(result, 'enable it')}${confirm}`));
        return;
      }
    }
    await this.act(req, res, id, async () => `Enabled ${(await this.providers.update(checkProviderId(id), { enabled: true }, this.actor(req))).displayName}.`);
  }

  @LifeTimePage()
  @Post(`${SECTION}/:id/disable`)
  async disable(@Param('id') id: string, @Body() body: Form, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.csrf.verify(req);
    if (body.confirm !== 'yes') {
      const provider = await this.providers.get(checkProviderId(id));
      const question = `Disable the identity provider ${provider.displayName} (${provider.id})? Nobody can sign in through it until it is enabled again; sessions already open stay open.`;
      res.status(HttpStatus.OK).type('html').send(lifetimePage(req, { title: 'Confirm', section: SECTION, csrfToken: this.csrf.token(req), body: confirmPage({ action: `${SECTION}/${provider.id}/disable`, question, button: 'Disable provider', back: `${SECTION}/${provider.id}`, csrfToken: this.csrf.token(req) }) }));
      return;
    }
    await this.act(req, res, id, async () => `Disabled ${(await this.providers.update(checkProviderId(id), { enabled: false }, this.actor(req))).displayName}: nobody can sign in with it until it is enabled again.`);
  }

  @LifeTimePage()
  @Post(`${SECTION}/:id/delete`)
  async delete(@Param('id') id: string, @Body() body: Form, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.csrf.verify(req);
    const provider = await this.providers.get(checkProviderId(id));
    if (body.confirm !== 'yes') {
      const question = `Delete the identity provider ${provider.displayName} (${provider.id})? People who sign in with it can no longer do so, and its settings and client secret are gone.`;
      res.status(HttpStatus.OK).type('html').send(lifetimePage(req, { title: 'Confirm', section: SECTION, csrfToken: this.csrf.token(req), body: confirmPage({ action: `${SECTION}/${id}/delete`, question, button: 'Delete provider', back: `${SECTION}/${id}`, csrfToken: this.csrf.token(req) }) }));
      return;
    }
    try {
      await this.providers.delete(provider.id, this.actor(req));
      await setFlash(req, 'success', `Deleted ${provider.displayName}.`);
      res.redirect(303, SECTION);
    } catch (error) {
      const refusal = asRefusal(error);
      await setFlash(req, 'error', refusal.message);
      res.status(refusal.status).type('html').send(this.render(req, provider.displayName, providerPageBody({ provider: await this.providers.get(provider.id), csrfToken: this.csrf.token(req) })));
    }
  }

  /** Runs the discovery steps for the typed issuer and fills the form with what they found. */
  private async details(form: ProviderForm): Promise<{ form: ProviderForm; discovery: ProbeResult }> {
    const discovered = await this.providers.discover(form.issuer);
    const { details } = discovered;
    const host = safeHost(details.issuer ?? form.issuer);
    return {
      discovery: { ok: discovered.ok, steps: discovered.steps },
      form: {
        ...form,
        issuer: details.issuer ?? form.issuer,
        scopes: details.scopes ? details.scopes.join(' ') : form.scopes,
        matchClaim: details.matchClaim ?? form.matchClaim,
        displayName: form.displayName || host || '',
      },
    };
  }

  /** A change from the provider's page: success flashes and redirects back; a refusal shows the page again with its reason. */
  private async act(req: Request, res: Response, id: string, change: () => Promise<string>): Promise<void> {
    try {
      await setFlash(req, 'success', await change());
      res.redirect(303, `${SECTION}/${id}`);
    } catch (error) {
      const refusal = asRefusal(error);
      await setFlash(req, 'error', refusal.message);
      const provider = await this.providers.get(checkProviderId(id));
      res.status(refusal.status).type('html').send(this.render(req, provider.displayName, providerPageBody({ provider, csrfToken: this.csrf.token(req), keys: await this.keyMaterial(provider) })));
    }
  }

  private async keyMaterial(provider: ProviderView): Promise<ClientKeyMaterial | undefined> {
    if (provider.clientAuth !== 'private_key_jwt') return undefined;
    return { current: await this.assertionKeys.certificate('current'), next: await this.assertionKeys.certificate('next') };
  }

  private render(req: Request, title: string, body: Html): string {
    return lifetimePage(req, { title, section: SECTION, csrfToken: this.csrf.token(req), body, copyButtons: true });
  }

  private actor(req: Request): string {
    return req.principal!.user.id;
  }

}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

function words(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}

function readForm(body: Form): ProviderForm {
  return {
    id: text(body.id),
    displayName: text(body.displayName),
    issuer: text(body.issuer),
    clientId: text(body.clientId),
    clientAuth: text(body.clientAuth) || 'client_secret_post',
    scopes: text(body.scopes),
    matchClaim: text(body.matchClaim) || 'email',
    emailDomains: text(body.emailDomains),
    enabled: body.enabled === 'on',
  };
}

/**
 * The form as service changes; an empty secret field keeps the stored secret (it is write-only),
 * and a secret left in the hidden field when private_key_jwt was chosen is not sent.
 */
function changesOf(form: ProviderForm, body: Form): ProviderChanges {
  const clientAuth = isClientAuthMethod(form.clientAuth) ? form.clientAuth : undefined;
  const wantsSecret = !clientAuth || usesClientSecret(clientAuth);
  const secret = wantsSecret && typeof body.clientSecret === 'string' && body.clientSecret.length > 0 ? body.clientSecret : undefined;
  return {
    displayName: form.displayName,
    issuer: form.issuer,
    clientId: form.clientId,
    // An unknown method goes to the service as typed, so its rules refuse it with their message.
    clientAuth: (clientAuth ?? form.clientAuth) as ProviderChanges['clientAuth'],
    scopes: words(form.scopes),
    matchClaim: form.matchClaim as MatchClaim,
    emailDomains: words(form.emailDomains),
    ...(secret ? { clientSecret: secret } : {}),
  };
}

function safeHost(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

function errorFlash(refusal: { message: string; details?: string[] }): Html {
  return html`<div class="flash error" role="alert" id="flash">${refusal.message}${refusal.details ? html`<ul>${refusal.details.map((d) => html`<li>${d}</li>`)}</ul>` : ''}</div>`;
}

/** A refusal the person can act on (4xx) is shown on the page; anything else is the filter's business. */
function asRefusal(error: unknown): { status: number; message: string; details?: string[] } {
  if (error instanceof DomainException && error.status < HttpStatus.INTERNAL_SERVER_ERROR) return { status: error.status, message: error.message, details: error.options.details };
  throw error;
}
