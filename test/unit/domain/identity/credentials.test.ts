import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TenantCredentials } from '../../../../domain/identity/credentials';

describe('TenantCredentials', () => {
  it('never serialises its secrets', () => {
    const c = new TenantCredentials(
      'acme',
      'ASIAKEY',
      'very-secret',
      'session-tok',
      new Date('2026-03-01T10:15:00Z'),
    );
    const rendered = [JSON.stringify(c), String(c), `${c}`, JSON.stringify({ c }), inspect(c)].join(' ');
    expect(rendered).not.toContain('very-secret');
    expect(rendered).not.toContain('session-tok');
    expect(c.toIdentity().secretAccessKey).toBe('very-secret');
  });
});
