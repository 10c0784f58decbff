/** Runs the Marketplace Metering fake standalone: `npx tsx local/marketplace-fake/cli.ts [port]`. */
import { startMarketplaceFake } from './server';

const port = Number(process.argv[2] ?? process.env.MARKETPLACE_FAKE_PORT ?? 4599);
const fake = await startMarketplaceFake({ port });
process.stdout.write(
  `marketplace-fake listening on ${fake.url} (AWS_ENDPOINT_URL_MARKETPLACE_METERING=${fake.url})\n`,
);
const stop = () => void fake.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
