import { USER_PAGE_MAX, USER_SORTS, type UserSort } from '../users/users.service.js';

/** The Users page's query string, read: what to search, how to sort, which page of how many. */
export interface UserListQuery {
  search: string;
  sort: UserSort;
  order: 'asc' | 'desc';
  page: number;
  size: number;
}

export const USER_PAGE_SIZES = [10, 25, 50, 100] as const;
export const DEFAULT_USER_LIST: UserListQuery = { search: '', sort: 'name', order: 'asc', page: 1, size: 25 };
const WHOLE_NUMBER = /^\d{1,9}$/;

/**
 * Reads `q`, `sort`, `order`, `page` and `size`. An unknown sort or order, or a page or size that is
 * not a whole number, is refused with the reasons (the page answers 400 with them); a size past
 * USER_PAGE_MAX is brought down to it, and a page past the last one is the caller's to clamp (it
 * needs the count). A repeated parameter counts as malformed.
 */
export function readUserListQuery(query: Record<string, unknown>): { ok: true; value: UserListQuery } | { ok: false; problems: string[]; value: UserListQuery } {
  const problems: string[] = [];
  const value = { ...DEFAULT_USER_LIST };
  const text = (name: string): string | undefined => {
    const raw = query[name];
    if (raw === undefined || raw === '') return undefined;
    if (typeof raw !== 'string') {
      problems.push(`${name} was given more than once`);
      return undefined;
    }
    return raw.trim();
  };
  value.search = (typeof query.q === 'string' ? query.q : '').trim().slice(0, 200);
  const sort = text('sort');
  if (sort !== undefined) {
    if ((USER_SORTS as readonly string[]).includes(sort)) value.sort = sort as UserSort;
    else problems.push(`sort must be one of ${USER_SORTS.join(', ')}`);
  }
  const order = text('order');
  if (order !== undefined) {
    if (order === 'asc' || order === 'desc') value.order = order;
    else problems.push('order must be asc or desc');
  }
  const page = text('page');
  if (page !== undefined) {
    if (WHOLE_NUMBER.test(page) && Number(page) >= 1) value.page = Number(page);
    else problems.push('page must be a whole number from 1');
  }
  const size = text('size');
  if (size !== undefined) {
    if (WHOLE_NUMBER.test(size) && Number(size) >= 1) value.size = Math.min(Number(size), USER_PAGE_MAX);
    else problems.push(`size must be a whole number from 1 to ${USER_PAGE_MAX}`);
  }
  return problems.length ? { ok: false, problems, value } : { ok: true, value };
}

/** The page's own URL for this query, leaving out what is the default. */
export function userListUrl(query: UserListQuery, changes: Partial<UserListQuery> = {}): string {
  const next = { ...query, ...changes };
  const params = new URLSearchParams();
  if (next.search) params.set('q', next.search);
  if (next.sort !== DEFAULT_USER_LIST.sort) params.set('sort', next.sort);
  if (next.order !== DEFAULT_USER_LIST.order) params.set('order', next.order);
  if (next.size !== DEFAULT_USER_LIST.size) params.set('size', String(next.size));
  if (next.page !== 1) params.set('page', String(next.page));
  const search = params.toString();
  return search ? `/lifetime/users?${search}` : '/lifetime/users';
}
