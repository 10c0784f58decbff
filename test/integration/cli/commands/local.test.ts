// `tenantry local up|status|down`: a second, detached local environment on free ports, and the other
// commands finding it by themselves (no AWS_ENDPOINT_URL in the environment).
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort } from '../../../../local/env';
import { localDown } from '../../../../local/session';
import { cli, json } from '../support';

const saved = { ...process.env };

beforeAll(async () => {
  process.env.TENANTRY_LOCAL_PORT = String(await getFreePort());
  process.env.TENANTRY_HANDLER_HOST_PORT = String(await getFreePort());
  for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
});

afterAll(async () => {
  await localDown(); // only if a failed assertion left it running
  process.env = saved;
});

describe('tenantry local', () => {
  it('status says it is not running (exit 4); up starts it with the lifecycle deployed; down stops it', async () => {
    // Act + Assess: not running yet
    const before = await cli('local', 'status');
    expect(before.code).toBe(4);
    expect(before.out).toEqual(['local environment is not running (start it with `tenantry local up`)']);
    const unreachable = await cli('tenants', 'list');
    expect(unreachable.code).toBe(4);

    // Act: up
    const up = await cli('--json', 'local', 'up');
    expect(up.code).toBe(0);
    const state = json<{ endpoint: string; alreadyRunning: boolean }>(up);
    expect(state.endpoint).toBe(`http://127.0.0.1:${process.env.TENANTRY_LOCAL_PORT}`);
    expect(state.alreadyRunning).toBe(false);

    // Assess: healthy, the three workflows deployed, and the other commands use it by default
    const status = await cli('local', 'status');
    expect(status.code).toBe(0);
    expect(status.out.map((l) => l.split(':')[0])).toEqual(['moto http', 'handler host http']);
    const machines = await new SFNClient({
      endpoint: state.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    }).send(new ListStateMachinesCommand({}));
    expect(machines.stateMachines?.map((m) => m.name).sort()).toEqual([
      'tenantry-dev-offboarding',
      'tenantry-dev-onboarding',
      'tenantry-dev-promotion',
    ]);
    const list = await cli('tenants', 'list');
    expect(list).toMatchObject({ code: 0, out: expect.arrayContaining(['0 tenant(s)']) });

    // Act: down
    const down = await cli('local', 'down');
    expect(down.code).toBe(0);
    expect(down.out[0]).toMatch(/^local environment stopped \(moto pid \d+, handler host pid \d+\)$/);
    expect((await cli('local', 'status')).code).toBe(4);
  });

  it('refuses an unknown action, naming the allowed ones', async () => {
    const result = await cli('local', 'restart');
    expect(result.code).toBe(2);
    expect(result.err[0]).toBe(
      "error: command-argument value 'restart' is invalid for argument 'action'. Allowed choices are up, down, status.",
    );
  });
});
