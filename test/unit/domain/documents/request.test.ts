import { describe, expect, it } from 'vitest';
import { DocumentRequestError } from '../../../../domain/documents/errors';
import { MAX_DOCUMENT_BODY_BYTES, parseDocumentRequest } from '../../../../domain/documents/request';

const ID = 'doc-0b5e7f0c-3f1c-4c61-9f5e-2b7d6a1c9e42';

function refusal(event: Parameters<typeof parseDocumentRequest>[0]) {
  try {
    parseDocumentRequest(event);
  } catch (error) {
    if (error instanceof DocumentRequestError) return { status: error.httpStatus, reason: error.reason };
    throw error;
  }
  throw new Error('expected the request to be refused');
}

describe('parseDocumentRequest', () => {
  it('reads the four operations from method and path', () => {
    // Prepare
    const body = JSON.stringify({ title: 'Q3 plan', content: 'hello' });

    // Act
    const parsed = [
      parseDocumentRequest({ httpMethod: 'POST', pathParameters: null, body }),
      parseDocumentRequest({ httpMethod: 'GET', pathParameters: null }),
      parseDocumentRequest({ httpMethod: 'GET', pathParameters: { documentId: ID } }),
      parseDocumentRequest({ httpMethod: 'DELETE', pathParameters: { documentId: ID } }),
    ];

    // Assess
    expect(parsed).toEqual([
      { kind: 'create', document: { title: 'Q3 plan', content: 'hello' } },
      { kind: 'list' },
      { kind: 'get', documentId: ID },
      { kind: 'delete', documentId: ID },
    ]);
  });

  it('decodes a base64 body', () => {
    const body = Buffer.from(JSON.stringify({ title: 'T', content: 'é' })).toString('base64');

    const parsed = parseDocumentRequest({ httpMethod: 'POST', body, isBase64Encoded: true });

    expect(parsed).toEqual({ kind: 'create', document: { title: 'T', content: 'é' } });
  });

  it('refuses malformed JSON with 400', () => {
    expect(refusal({ httpMethod: 'POST', body: '{"title": "x",' })).toEqual({
      status: 400,
      reason: 'body is not valid JSON',
    });
  });

  it('refuses a body over the limit with 413, counting UTF-8 bytes', () => {
    // 'é' is two bytes: half the limit in characters is exactly the limit in bytes, plus the JSON around it.
    const content = 'é'.repeat(MAX_DOCUMENT_BODY_BYTES / 2);
    const body = JSON.stringify({ title: 'big', content });

    const result = refusal({ httpMethod: 'POST', body });

    expect(result.status).toBe(413);
    expect(result.reason).toBe(
      `body is ${Buffer.byteLength(body)} bytes, over the ${MAX_DOCUMENT_BODY_BYTES}-byte limit`,
    );
  });

  it('refuses a document with a missing title or an unknown field, naming the field', () => {
    expect(refusal({ httpMethod: 'POST', body: JSON.stringify({ content: 'x' }) })).toMatchObject({
      status: 400,
      reason: expect.stringMatching(/^invalid document: title: /),
    });
    expect(
      refusal({ httpMethod: 'POST', body: JSON.stringify({ title: 'x', content: 'y', tenantId: 'other' }) }),
    ).toMatchObject({ status: 400, reason: expect.stringMatching(/tenantId/) });
  });

  it('refuses a path id that is not a document id, and unsupported methods', () => {
    expect(refusal({ httpMethod: 'GET', pathParameters: { documentId: '../other-tenant/doc' } })).toEqual({
      status: 400,
      reason: 'documentId must be a document id (doc-<uuid>)',
    });
    expect(refusal({ httpMethod: 'PUT', pathParameters: { documentId: ID } }).status).toBe(405);
    expect(refusal({ httpMethod: 'DELETE', pathParameters: null }).status).toBe(405);
  });
});
