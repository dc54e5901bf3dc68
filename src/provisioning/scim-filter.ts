import { parse, type Filter } from 'scim2-parse-filter';
import { ScimException } from './scim-error.js';

/** One `attribute eq "value"` of a filter; a filter is their conjunction. */
export interface EqCondition<A extends string> {
  attribute: A;
  value: string;
}

const MAX_FILTER_LENGTH = 1_000;
const CORE_SCHEMA_PREFIX = /^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/i;

export const USER_FILTER_ATTRIBUTES = { username: 'userName', externalid: 'externalId', 'emails.value': 'emails.value' } as const;
export const GROUP_FILTER_ATTRIBUTES = { displayname: 'displayName', externalid: 'externalId' } as const;
export type UserFilterAttribute = (typeof USER_FILTER_ATTRIBUTES)[keyof typeof USER_FILTER_ATTRIBUTES];
export type GroupFilterAttribute = (typeof GROUP_FILTER_ATTRIBUTES)[keyof typeof GROUP_FILTER_ATTRIBUTES];

/**
 * A SCIM filter (RFC 7644 §3.4.2.2) as the `eq` conditions it joins with `and`: what Entra ID and
 * Okta send to find a user or group before creating it. Parsing is scim2-parse-filter's; this
 * only admits the subset the service answers, so every value ends up as a bound query parameter
 * and never in SQL text. Attribute names are matched in any case, with or without the core schema
 * URN; `emails[value eq "x"]` is read as `emails.value eq "x"`. Anything else is 400 invalidFilter.
 */
export function eqConditions<A extends string>(filter: string, attributes: Readonly<Record<string, A>>): EqCondition<A>[] {
  if (filter.length > MAX_FILTER_LENGTH) throw invalid(`The filter is longer than ${MAX_FILTER_LENGTH} characters.`);
  let ast: Filter;
  try {
    ast = parse(filter);
  } catch (error) {
    throw invalid(`The filter cannot be parsed: ${(error as Error).message.slice(0, 200)}`);
  }
  const known = Object.values(attributes).join(', ');
  const conditions: EqCondition<A>[] = [];
  const visit = (node: Filter, prefix = ''): void => {
    if (node.op === 'and') return node.filters.forEach((child) => visit(child, prefix));
    if (node.op === '[]' && !prefix) return visit(node.valFilter, `${node.attrPath}.`);
    if (node.op !== 'eq') throw invalid(`Only "eq" comparisons joined by "and" are supported in filters, on ${known}.`);
    const name = `${prefix}${node.attrPath}`.replace(CORE_SCHEMA_PREFIX, '').toLowerCase();
    const attribute = Object.hasOwn(attributes, name) ? attributes[name] : undefined;
    if (!attribute) throw invalid(`"${prefix}${node.attrPath}" cannot be filtered on; filter on ${known}.`);
    if (typeof node.compValue !== 'string') throw invalid(`${attribute} is compared with a string ("…").`);
    conditions.push({ attribute, value: node.compValue });
  };
  visit(ast);
  return conditions;
}

function invalid(detail: string): ScimException {
  return new ScimException(400, detail, 'invalidFilter');
}
