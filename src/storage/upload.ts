import type { FastifyRequest } from 'fastify';
import { UnsupportedMediaType, ValidationFailed } from '../common/problem';

/** One uploaded file and the text fields sent with it. */
export interface ParsedUpload {
  fileName: string;
  content: Buffer;
  fields: Record<string, string>;
}

/**
 * Reads a multipart upload of exactly one non-empty file, in the field
 * `file`, with the text fields named in `fieldNames` (others are ignored).
 * Not multipart: 415. A file in another field, or a second file: 422 on that
 * field (the part is drained first). No file, or an empty one: 422 on `file`.
 * The size limit is the multipart plugin's (UPLOAD_MAX_BYTES, src/app.setup.ts).
 */
export async function readOneFile(req: FastifyRequest, fieldNames: readonly string[] = []): Promise<ParsedUpload> {
  if (!req.isMultipart())
    throw new UnsupportedMediaType('Expected a multipart upload.', [
      { field: 'file', message: 'send multipart/form-data with a file field' },
    ]);
  const fields: Record<string, string> = {};
  let file: { fileName: string; content: Buffer } | undefined;
  for await (const part of req.parts()) {
    if (part.type === 'file') {
      if (part.fieldname !== 'file' || file) {
        await part.toBuffer().catch(() => undefined);
        throw new ValidationFailed([{ field: part.fieldname, message: 'send exactly one file, in the field "file"' }]);
      }
      file = { fileName: part.filename, content: await part.toBuffer() };
    } else if (fieldNames.includes(part.fieldname)) {
      fields[part.fieldname] = String(part.value);
    }
  }
  if (!file) throw new ValidationFailed([{ field: 'file', message: 'a file is required' }]);
  if (file.content.length === 0) throw new ValidationFailed([{ field: 'file', message: 'the file is empty' }]);
  return { ...file, fields };
}
