import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/decorators.js';
import { ClientAssertionKeysService } from './client-assertion-keys.service.js';
import { CLIENT_JWKS_PATH } from './provider-urls.js';

/** The public keys of this service's private_key_jwt client assertions, for providers that fetch a JWKS URL. */
@ApiTags('Identity providers')
@Controller()
export class ClientJwksController {
  constructor(private readonly keys: ClientAssertionKeysService) {}

  @Public()
  @Get(CLIENT_JWKS_PATH.slice(1))
  // A provider caching this for five minutes still learns of a new key long before it signs (it is published days ahead).
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({
    summary: 'Public keys of the client assertions this service signs (RFC 7517; public members only)',
    description: 'Register this URL at identity providers that authenticate the service with private_key_jwt and fetch a JWKS (Keycloak, Okta). It holds the key that signs now, the next one ahead of its switch, and the previous one for a while after.',
  })
  @ApiOkResponse({ schema: { example: { keys: [{ kty: 'RSA', n: '…', e: 'AQAB', kid: '3f1c…', alg: 'RS256', use: 'sig' }] } } })
  jwks(): Promise<{ keys: object[] }> {
    return this.keys.jwks();
  }
}
