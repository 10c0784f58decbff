import type { z } from 'zod';
import type { FieldIssue } from './errors';

/** Turns zod issues into `{ field, message }` pairs whose field is the dotted path (or `(root)`). */
export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)',
    message: issue.message,
  }));
}
