/**
 * A DynamoDB endpoint for one function that behaves like a throttled table: it forwards every request
 * to moto, except that each BatchWriteItem forwards only part of its requests and answers the rest as
 * UnprocessedItems (as DynamoDB does under throttling) — those items are NOT written. The function
 * under test must retry them until none remain.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UnprocessedProxy {
  readonly url: string;
  /** Requests answered as unprocessed so far. */
  unprocessed(): number;
  close(): Promise<void>;
}

export async function startUnprocessedProxy(target: string, keepFraction = 0.5): Promise<UnprocessedProxy> {
  let unprocessed = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      try {
        let body = Buffer.concat(chunks).toString('utf8');
        const action = String(req.headers['x-amz-target'] ?? '');
        let held: Record<string, unknown[]> = {};
        if (action.endsWith('.BatchWriteItem')) {
          const input = JSON.parse(body) as { RequestItems: Record<string, unknown[]> };
          const forwarded: Record<string, unknown[]> = {};
          held = {};
          for (const [table, requests] of Object.entries(input.RequestItems)) {
            const keep = requests.length === 1 ? 1 : Math.max(1, Math.floor(requests.length * keepFraction));
            forwarded[table] = requests.slice(0, keep);
            if (requests.length > keep) held[table] = requests.slice(keep);
            unprocessed += requests.length - keep;
          }
          body = JSON.stringify({ ...input, RequestItems: forwarded });
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) {
          if (typeof v === 'string' && !['host', 'content-length'].includes(k)) headers[k] = v;
        }
        const answer = await fetch(`${target}${req.url ?? '/'}`, { method: req.method, headers, body });
        let text = await answer.text();
        if (answer.ok && Object.keys(held).length > 0) {
          const out = JSON.parse(text) as { UnprocessedItems?: Record<string, unknown[]> };
          const merged: Record<string, unknown[]> = { ...(out.UnprocessedItems ?? {}) };
          for (const [table, requests] of Object.entries(held))
            merged[table] = [...(merged[table] ?? []), ...requests];
          text = JSON.stringify({ ...out, UnprocessedItems: merged });
        }
        res.writeHead(answer.status, {
          'Content-Type': answer.headers.get('content-type') ?? 'application/x-amz-json-1.0',
        });
        res.end(text);
      } catch (error) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ __type: 'InternalServerError', message: String(error) }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    unprocessed: () => unprocessed,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
