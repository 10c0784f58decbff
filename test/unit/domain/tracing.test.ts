import { beforeEach, describe, expect, it, vi } from 'vitest';

// A stand-in Tracer (Powertools' is disabled outside Lambda): records what `traced` does with it.
const calls: string[] = [];
const state = { enabled: true };
vi.mock('@aws-lambda-powertools/tracer', () => {
  const subsegment = (name: string) => ({ name, close: () => calls.push(`close ${name}`) });
  const parent = {
    name: 'lambda',
    addNewSubsegment: (name: string) => {
      calls.push(`open ${name}`);
      return subsegment(name);
    },
  };
  return {
    Tracer: class {
      isTracingEnabled = () => state.enabled;
      getSegment = () => parent;
      setSegment = (s: { name: string }) => calls.push(`set ${s.name}`);
      annotateColdStart = () => calls.push('annotate cold start');
      addServiceNameAnnotation = () => calls.push('annotate service');
      addErrorAsMetadata = (e: Error) => calls.push(`error ${e.name}`);
    },
  };
});

const { traced } = await import('../../../domain/tracing');

beforeEach(() => {
  calls.length = 0;
  state.enabled = true;
});

describe('traced', () => {
  it('runs the handler in its own subsegment and restores the parent', async () => {
    const handler = traced('tenant-catalog', async (event: { n: number }) => event.n * 2);
    expect(await handler({ n: 21 })).toBe(42);
    expect(calls).toEqual([
      'open ## tenant-catalog',
      'set ## tenant-catalog',
      'annotate cold start',
      'annotate service',
      'close ## tenant-catalog',
      'set lambda',
    ]);
  });

  it('records the error as metadata and rethrows it', async () => {
    class CatalogDown extends Error {
      override name = 'CatalogDown';
    }
    const handler = traced('authorizer', async () => {
      throw new CatalogDown('no catalog');
    });
    await expect(handler(undefined)).rejects.toBeInstanceOf(CatalogDown);
    expect(calls).toContain('error CatalogDown');
    expect(calls.slice(-2)).toEqual(['close ## authorizer', 'set lambda']);
  });

  it('calls the handler as it is when tracing is disabled', async () => {
    state.enabled = false;
    const handler = traced('billing-hourly', async () => 'done');
    expect(await handler(undefined)).toBe('done');
    expect(calls).toEqual([]);
  });
});
