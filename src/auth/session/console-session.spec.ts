import type { Response } from 'express';
import { describe, expect, it } from 'vitest';
import { ConsoleSession, type SessionBackend, type SessionData } from './console-session.js';
import { sessionKey } from './session-cookie.js';

function backend() {
  const rows = new Map<string, SessionData>();
  const cookies: string[] = [];
  const store: SessionBackend = {
    save: async (sid, data) => void rows.set(sid, data),
    destroy: async (sid) => void rows.delete(sid),
    sendCookie: (_res, sid) => void cookies.push(sid),
  };
  return { store, rows, cookies };
}

const res = { headersSent: false } as Response;

describe('ConsoleSession', () => {
  it('writes nothing and sends no cookie until saved, then both once', async () => {
    const { store, rows, cookies } = backend();
    const session = new ConsoleSession(store, res);
    expect(session.stored).toBe(false);
    session.userId = 'u1';
    await session.save();
    await session.save();
    expect(rows.get(session.id)).toEqual({ userId: 'u1' });
    expect(cookies).toEqual([session.id]);
    expect(session.stored).toBe(true);
  });

  it('regenerates to a new id with nothing in it, the old row gone', async () => {
    const { store, rows } = backend();
    rows.set('planted', { userId: 'attacker' });
    const session = new ConsoleSession(store, res, { sid: 'planted', data: { userId: 'attacker' } });
    await session.regenerate();
    expect(rows.has('planted')).toBe(false);
    expect(session.id).not.toBe('planted');
    expect(session.userId).toBeUndefined();
    expect(session.stored).toBe(false);
  });

  it('never uses an ended id again', async () => {
    const { store, rows } = backend();
    rows.set('old', { userId: 'u1' });
    const session = new ConsoleSession(store, res, { sid: 'old', data: { userId: 'u1' } });
    await session.destroy();
    expect(rows.has('old')).toBe(false);
    expect(session.stored).toBe(false);
    session.flash = { kind: 'success', text: 'x' };
    await session.save();
    expect(session.id).not.toBe('old');
    expect(rows.has('old')).toBe(false);
  });

  it('has the key its end is announced under only while stored, and a new one after regenerating', async () => {
    const { store } = backend();
    const given = new ConsoleSession(store, res, { sid: 'known', data: { userId: 'u1' }, key: 'precomputed' });
    expect(given.key).toBe('precomputed');
    const stored = new ConsoleSession(store, res, { sid: 'known', data: { userId: 'u1' } });
    expect(stored.key).toBe(sessionKey('known'));
    await stored.regenerate();
    expect(stored.key).toBeUndefined();
    stored.userId = 'u1';
    await stored.save();
    expect(stored.key).toBe(sessionKey(stored.id));
    await given.destroy();
    expect(given.key).toBeUndefined();
    expect(new ConsoleSession(store, res).key).toBeUndefined();
  });
});
