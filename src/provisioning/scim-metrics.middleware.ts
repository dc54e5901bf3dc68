import type { RequestHandler } from 'express';
import type { MetricsService } from '../observability/metrics.service.js';
import { scimOperation, scimOutcome } from './scim-request.js';

/** Counts every SCIM request by operation and outcome once answered, refusals of the body parsers and the guard included. */
export function scimRequestMetrics(metrics: MetricsService): RequestHandler {
  return (req, res, next) => {
    const operation = scimOperation(req.method, req.originalUrl.split('?')[0]);
    res.once('finish', () => metrics.scimRequests.inc({ operation, outcome: scimOutcome(res.statusCode) }));
    next();
  };
}
