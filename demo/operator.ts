// The operator's view in `make demo`: the `tenantry` command (cli/) run against the same local
// environment, answering "which tenants do we have, in which state" and "what happened to this one".
import { runCli } from '../cli/program';
import type { DemoContext } from './context';

export async function operatorDemo(ctx: Pick<DemoContext, 'log'>, tenantId: string): Promise<void> {
  for (const args of [
    ['tenants', 'list'],
    ['tenants', 'show', tenantId],
  ]) {
    ctx.log(`$ npx tenantry ${args.join(' ')}`);
    const code = await runCli(args, {
      out: (text) => {
        for (const line of text.split('\n')) ctx.log(`  ${line}`);
      },
      err: (text) => {
        for (const line of text.split('\n')) ctx.log(`  ${line}`);
      },
      interactive: false,
    });
    if (code !== 0) throw new Error(`tenantry ${args.join(' ')} exited ${code}`);
  }
}
