import { z } from 'zod';
import { toFieldIssues } from '../issues';
import { DocumentRequestError } from './errors';

/** Largest request body the service reads, bytes (UTF-8): one document's title and content. */
export const MAX_DOCUMENT_BODY_BYTES = 16 * 1024;

/** Document ids are minted by the service (`doc-<uuid>`), never chosen by the caller. */
export const documentIdSchema = z
  .string()
  .regex(/^doc-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

const newDocumentSchema = z.strictObject({
  title: z.string().trim().min(1).max(200),
  content: z.string().max(MAX_DOCUMENT_BODY_BYTES),
});
export type NewDocument = z.infer<typeof newDocumentSchema>;

export type DocumentRequest =
  | { readonly kind: 'create'; readonly document: NewDocument }
  | { readonly kind: 'list' }
  | { readonly kind: 'get'; readonly documentId: string }
  | { readonly kind: 'delete'; readonly documentId: string };

/** The fields of an API Gateway (REST, Lambda proxy) event the service reads. */
export interface DocumentHttpEvent {
  readonly httpMethod: string;
  readonly pathParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

/**
 * The request a proxy event asks for: `POST /documents`, `GET /documents`, `GET|DELETE
 * /documents/{documentId}`. Pure: everything it refuses is refused before any read or write, with a
 * reason the caller can act on (`DocumentRequestError`).
 */
export function parseDocumentRequest(event: DocumentHttpEvent): DocumentRequest {
  const rawId = event.pathParameters?.documentId;
  if (rawId === undefined) {
    if (event.httpMethod === 'GET') return { kind: 'list' };
    if (event.httpMethod === 'POST') return { kind: 'create', document: parseNewDocument(event) };
    throw new DocumentRequestError(405, `${event.httpMethod} is not supported on /documents`);
  }
  const id = documentIdSchema.safeParse(rawId);
  if (!id.success) throw new DocumentRequestError(400, 'documentId must be a document id (doc-<uuid>)');
  if (event.httpMethod === 'GET') return { kind: 'get', documentId: id.data };
  if (event.httpMethod === 'DELETE') return { kind: 'delete', documentId: id.data };
  throw new DocumentRequestError(405, `${event.httpMethod} is not supported on /documents/{documentId}`);
}

function parseNewDocument(event: DocumentHttpEvent): NewDocument {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded === true ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_DOCUMENT_BODY_BYTES) {
    throw new DocumentRequestError(
      413,
      `body is ${bytes} bytes, over the ${MAX_DOCUMENT_BODY_BYTES}-byte limit`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DocumentRequestError(400, 'body is not valid JSON');
  }
  const parsed = newDocumentSchema.safeParse(json);
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.error).map((i) => `${i.field}: ${i.message}`);
    throw new DocumentRequestError(400, `invalid document: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** The service's answer (API Gateway's Lambda proxy response). */
export const httpResponseSchema = z.object({
  statusCode: z.number().int().min(200).max(599),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
});
export type HttpResponse = z.infer<typeof httpResponseSchema>;
