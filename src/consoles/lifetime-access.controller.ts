import { Body, Controller, HttpStatus, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RoleSyncService } from '../access/role-sync.service.js';
import { checkRoleRules, type RoleRule } from '../access/role-rules.js';
import { CsrfService } from '../auth/csrf.service.js';
import { LifeTimePage } from '../auth/decorators.js';
import { DomainException } from '../common/domain.exception.js';
import { html } from '../common/html.js';
import { IdentityProvidersService, type ProviderChanges, type ProviderView } from '../identity-providers/identity-providers.service.js';
import { checkProviderId } from '../identity-providers/provider-rules.js';
import { lifetimePage, setFlash } from './console-layout.js';
import type { AccessForm, PreviewResult } from './lifetime-access-views.js';
import { providerPageBody } from './lifetime-authentication-views.js';

type Form = Record<string, unknown>;
const SECTION = '/lifetime/authentication';
const MAX_PASTED_CLAIMS = 64 * 1024;
const MAX_RULE_ROWS = 100;

/**
 * LifeTime › Authentication › a provider's "Who gets in": trust, role rules and provisioning,
 * saved through IdentityProvidersService (the API's rules and audit), and the Preview, which
 * applies the rules in the form to a real sign-in's claims and writes nothing.
 */
@ApiExcludeController()
@LifeTimePage()
@Controller(SECTION)
export class LifeTimeAccessController {
  constructor(
    private readonly providers: IdentityProvidersService,
    private readonly roles: RoleSyncService,
    private readonly csrf: CsrfService,
  ) {}

  @Post(':id/access')
  async access(@Param('id') id: string, @Body() body: Form, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.csrf.verify(req);
    const provider = await this.providers.get(checkProviderId(id));
    const form = readAccessForm(body, provider);
    if (body.action !== 'save' || provider.source === 'environment') {
      const preview = await this.preview(req, provider, form);
      res.status(HttpStatus.OK).type('html').send(this.render(req, provider, html`${providerPageBody({ provider, csrfToken: this.csrf.token(req), accessForm: form, preview })}`));
      return;
    }
    try {
      const changes: ProviderChanges = { trustEmail: form.trustEmail, roleSource: form.roleSource as ProviderView['roleSource'], provisioning: form.provisioning as ProviderView['provisioning'], roleRules: form.rules as RoleRule[] };
      const updated = await this.providers.update(provider.id, changes, req.principal!.user.id);
      await setFlash(req, 'success', `Saved who gets in through ${updated.displayName}.`);
      res.redirect(303, `${SECTION}/${provider.id}#who-gets-in`);
    } catch (error) {
      if (!(error instanceof DomainException) || error.status >= HttpStatus.INTERNAL_SERVER_ERROR) throw error;
      const flash = html`<div class="flash error" role="alert" id="flash">${error.message}</div>`;
      res.status(error.status).type('html').send(this.render(req, provider, html`${flash}${providerPageBody({ provider, csrfToken: this.csrf.token(req), accessForm: form })}`));
    }
  }

  /** The rules in the form, applied to the pasted claims or to the admin's own last sign-in. */
  private async preview(req: Request, provider: ProviderView, form: AccessForm): Promise<PreviewResult> {
    const { rules, problems } = checkRoleRules(form.rules);
    if (problems.length > 0) return { source: '', rules: [], problem: `The rules cannot be previewed: ${problems.join('; ')}.` };
    const admin = req.principal!.user;
    if (!form.claims.trim()) {
      const own = await this.roles.ownClaims(admin.id, provider.id);
      if (!own) return { source: '', rules, problem: 'Nothing is known yet of your own sign-in claims (they are kept from your next sign-in on): paste a set of claims instead.' };
      return { source: `the claims of your own last sign-in`, rules, preview: await this.roles.preview(rules, own, admin.id) };
    }
    const claims = parseClaims(form.claims);
    if (!claims) return { source: '', rules, problem: 'The pasted claims must be one JSON object, such as {"groups": ["platform-admins"]}.' };
    return { source: 'the pasted claims', rules, preview: await this.roles.preview(rules, claims) };
  }

  private render(req: Request, provider: ProviderView, body: ReturnType<typeof html>): string {
    return lifetimePage(req, { title: provider.displayName, section: SECTION, csrfToken: this.csrf.token(req), body, copyButtons: true });
  }
}

function readAccessForm(body: Form, provider: ProviderView): AccessForm {
  if (provider.source === 'environment') {
    const claims = text(body.claims).slice(0, MAX_PASTED_CLAIMS);
    return { trustEmail: provider.trustEmail, roleSource: provider.roleSource, provisioning: provider.provisioning, rules: provider.roleRules.map((rule) => ({ ...rule })), claims };
  }
  const rules: AccessForm['rules'] = [];
  for (let index = 0; index < MAX_RULE_ROWS; index++) {
    const [claim, value, role] = ['claim', 'value', 'role'].map((part) => text(body[`rule_${part}_${index}`]));
    if (claim || value || role) rules.push({ claim, value, role });
  }
  return { trustEmail: body.trustEmail === 'on', roleSource: text(body.roleSource), provisioning: text(body.provisioning), rules, claims: text(body.claims).slice(0, MAX_PASTED_CLAIMS) };
}

function parseClaims(raw: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}
