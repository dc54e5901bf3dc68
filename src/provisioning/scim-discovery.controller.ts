import { All, Controller, Get, Inject, Param, Req } from '@nestjs/common';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { SCIM_BASE_PATH, ScimApi, ScimResponse, scimBaseUrl } from './scim-api.decorator.js';
import { resourceTypes, schemas, serviceProviderConfig } from './scim-discovery.js';
import { ScimException } from './scim-error.js';
import { listResponse } from './scim-request.js';

/** RFC 7644 §4: ServiceProviderConfig, ResourceTypes and Schemas. */
@ScimApi()
@Controller(SCIM_BASE_PATH)
export class ScimDiscoveryController {
  private readonly baseUrl: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.baseUrl = scimBaseUrl(config);
  }

  @Get('ServiceProviderConfig')
  @ScimResponse()
  config(): Record<string, unknown> {
    return serviceProviderConfig(this.baseUrl);
  }

  @Get('ResourceTypes')
  @ScimResponse()
  resourceTypes(): Record<string, unknown> {
    const types = resourceTypes(this.baseUrl);
    return listResponse(types.length, 1, types);
  }

  @Get('ResourceTypes/:id')
  @ScimResponse()
  resourceType(@Param('id') id: string): Record<string, unknown> {
    return found(resourceTypes(this.baseUrl).find((type) => type.id === id), `resource type ${id}`);
  }

  @Get('Schemas')
  @ScimResponse()
  schemas(): Record<string, unknown> {
    const all = schemas(this.baseUrl);
    return listResponse(all.length, 1, all);
  }

  @Get('Schemas/:id')
  @ScimResponse()
  schema(@Param('id') id: string): Record<string, unknown> {
    return found(schemas(this.baseUrl).find((schema) => schema.id === id), `schema ${id}`);
  }

  /** Anything else under /scim/v2 (this controller's routes come after Users and Groups): a SCIM error, not the API's. */
  @All('*rest')
  @ScimResponse()
  unknown(@Req() req: Request): never {
    // RFC 7644 §3.7 and §3.11: bulk operations and /Me are optional; this service has neither.
    if (/^\/scim\/v2\/(Bulk|Me)(\/|$)/i.test(req.path)) throw new ScimException(501, `${req.path.split('/')[3]} is not supported here (see ServiceProviderConfig).`);
    throw new ScimException(404, `No SCIM endpoint ${req.method} ${req.path} here.`);
  }
}

function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new ScimException(404, `No ${what} here.`);
  return value;
}
