/** The types a citizen may upload, judged from the file's first bytes, never from its name. */
export type AllowedType = 'application/pdf' | 'image/jpeg' | 'image/png';

const SIGNATURES: { type: AllowedType; bytes: number[] }[] = [
  { type: 'application/pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
  { type: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
];

export function detectFileType(content: Buffer): AllowedType | null {
  for (const { type, bytes } of SIGNATURES) {
    if (content.length >= bytes.length && bytes.every((b, i) => content[i] === b)) return type;
  }
  return null;
}

/** A display name only: no directories, no control characters, bounded length. */
export function safeFileName(name: string | undefined): string {
  const base = (name ?? 'file').split(/[\\/]/).pop() ?? 'file';
  // Control characters, characters unsafe in file names, and invisible or direction-reversing marks
  // (so "\u202egpj.exe.pdf" cannot pose as a picture) are replaced.
  const clean = base
    // eslint-disable-next-line no-control-regex -- replacing control characters is the point of this pattern
    .replace(/[\u0000-\u001f\u007f"<>|:*?\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g, '_')
    .replace(/^\.+/, '')
    .trim();
  return (clean || 'file').slice(0, 200);
}
