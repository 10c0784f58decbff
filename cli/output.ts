import type { CliContext } from './context';

/** Writes a command's result: the data as one JSON document with --json, else the human lines. */
export function emit(ctx: Pick<CliContext, 'json' | 'io'>, data: unknown, human: () => string[]): void {
  if (ctx.json) ctx.io.out(JSON.stringify(data, null, 2));
  else for (const line of human()) ctx.io.out(line);
}

/** Left-aligned columns. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}
