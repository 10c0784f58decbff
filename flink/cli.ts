import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../domain/config';
import { runLocal } from './local';
import { generateMeteringSql } from './sql';

/**
 *   tsx flink/cli.ts run-local --events F.jsonl --out DIR [--now ISO]
 *   tsx flink/cli.ts generate --profile local --events F --out DIR [--output file.sql]
 *   tsx flink/cli.ts generate --profile aws --stream-arn ARN --table NAME --lake s3://b/p [--region R]
 *        [--init-position TRIM_HORIZON|LATEST] [--kinesis-connector 4.x|5.x] [--output file.sql]
 */
async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      events: { type: 'string' },
      out: { type: 'string' },
      now: { type: 'string' },
      profile: { type: 'string' },
      output: { type: 'string' },
      'stream-arn': { type: 'string' },
      table: { type: 'string' },
      lake: { type: 'string' },
      region: { type: 'string' },
      'init-position': { type: 'string' },
      'kinesis-connector': { type: 'string' },
    },
  });
  const config = loadConfig();
  const need = (name: keyof typeof values): string => {
    const value = values[name];
    if (typeof value !== 'string' || value === '')
      throw new UsageError(`--${name} is required for ${command}`);
    return value;
  };
  if (command === 'run-local') {
    const result = await runLocal({
      config,
      eventsPath: need('events'),
      outDir: need('out'),
      ...(values.now ? { now: values.now } : {}),
    });
    const o = result.outputs;
    console.log(
      `flink-local: ${o.hourly.length} hourly, ${o.daily.length} daily, ${o.cumulative.length} cumulative, ` +
        `${o.late.length} late, ${o.rejected.length} rejected rows in ${need('out')} (${result.durationMs} ms)`,
    );
    return;
  }
  if (command === 'generate') {
    const profile = need('profile');
    let sql: string;
    if (profile === 'local') {
      sql = generateMeteringSql({
        config,
        profile: { kind: 'local', eventsPath: need('events'), outDir: need('out') },
      });
    } else if (profile === 'aws') {
      const position = values['init-position'] ?? 'TRIM_HORIZON';
      if (position !== 'TRIM_HORIZON' && position !== 'LATEST')
        throw new UsageError('--init-position must be TRIM_HORIZON or LATEST');
      const connector = values['kinesis-connector'] ?? '4.x';
      if (connector !== '4.x' && connector !== '5.x')
        throw new UsageError('--kinesis-connector must be 4.x or 5.x');
      sql = generateMeteringSql({
        config,
        profile: {
          kind: 'aws',
          region: values.region ?? config.regions.primary,
          streamArn: need('stream-arn'),
          countersTable: need('table'),
          lakeUri: need('lake'),
          initialPosition: position,
          kinesisConnector: connector,
        },
      });
    } else {
      throw new UsageError(`--profile must be aws or local, got "${profile}"`);
    }
    if (values.output) {
      mkdirSync(dirname(values.output), { recursive: true });
      writeFileSync(values.output, sql);
    } else {
      process.stdout.write(sql);
    }
    return;
  }
  throw new UsageError(`unknown command "${command ?? ''}" (run-local | generate)`);
}

class UsageError extends Error {}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(error instanceof UsageError ? 2 : 1);
});
