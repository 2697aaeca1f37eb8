import path from "node:path";

/** How much of a file is looked at to tell text from binary (git looks at 8000 bytes). */
export const SNIFF_BYTES = 8192;

const BINARY_EXTENSIONS: Record<string, string> = {
  png: "PNG image", jpg: "JPEG image", jpeg: "JPEG image", gif: "GIF image", bmp: "BMP image", ico: "icon",
  webp: "WebP image", tif: "TIFF image", tiff: "TIFF image", psd: "Photoshop document", heic: "HEIC image",
  avif: "AVIF image", pdf: "PDF document", zip: "ZIP archive", jar: "Java archive", war: "Java archive",
  gz: "gzip archive", tgz: "gzip-compressed tar archive", bz2: "bzip2 archive", xz: "xz archive",
  zst: "zstd archive", "7z": "7-Zip archive", rar: "RAR archive", tar: "tar archive", iso: "disk image",
  dmg: "disk image", exe: "Windows executable", dll: "Windows library", so: "shared library",
  dylib: "macOS shared library", o: "object file", a: "static library", obj: "object file", lib: "library",
  class: "Java class file", pyc: "compiled Python file", pyo: "compiled Python file", wasm: "WebAssembly module",
  node: "native Node.js addon", woff: "web font", woff2: "web font", ttf: "TrueType font", otf: "OpenType font",
  eot: "web font", mp3: "MP3 audio", wav: "WAV audio", ogg: "Ogg media", flac: "FLAC audio", m4a: "AAC audio",
  mp4: "MP4 video", mov: "QuickTime video", avi: "AVI video", mkv: "Matroska video", webm: "WebM video",
  sqlite: "SQLite database", sqlite3: "SQLite database", db: "database file", parquet: "Parquet data file",
  pkl: "Python pickle", npy: "NumPy array", npz: "NumPy archive", h5: "HDF5 data file",
};

const MAGIC: ReadonlyArray<readonly [Buffer, string]> = [
  [Buffer.from([0x7f, 0x45, 0x4c, 0x46]), "ELF executable or library"],
  [Buffer.from([0x89, 0x50, 0x4e, 0x47]), "PNG image"],
  [Buffer.from("GIF8"), "GIF image"],
  [Buffer.from([0xff, 0xd8, 0xff]), "JPEG image"],
  [Buffer.from("%PDF"), "PDF document"],
  [Buffer.from([0x50, 0x4b, 0x03, 0x04]), "ZIP archive"],
  [Buffer.from([0x1f, 0x8b]), "gzip archive"],
  [Buffer.from("SQLite format 3\0"), "SQLite database"],
  [Buffer.from([0x00, 0x61, 0x73, 0x6d]), "WebAssembly module"],
  [Buffer.from([0xca, 0xfe, 0xba, 0xbe]), "Java class file or Mach-O binary"],
];

/**
 * What a binary file is ("PNG image"), or undefined for text. A NUL byte in
 * the head means binary, as for git and ripgrep; a known binary extension
 * counts only when the head is not clean text, so a Git LFS pointer named
 * `logo.png` still reads as the text it is.
 */
export function describeBinary(fileName: string, head: Buffer): string | undefined {
  const byMagic = MAGIC.find(([magic]) => head.subarray(0, magic.length).equals(magic))?.[1];
  const byExtension = BINARY_EXTENSIONS[path.extname(fileName).slice(1).toLowerCase()];
  if (hasUtf16Bom(head)) return undefined;
  if (head.includes(0)) return byMagic ?? byExtension ?? "binary data";
  if (byExtension !== undefined && !looksLikeText(head)) return byMagic ?? byExtension;
  return undefined;
}

/** UTF-16 little-endian text (as Windows tools write it) has NUL bytes but is text all the same. */
export function hasUtf16Bom(head: Buffer): boolean {
  return head[0] === 0xff && head[1] === 0xfe;
}

function looksLikeText(head: Buffer): boolean {
  // A character cut off at the end of the sniffed bytes is not a sign of binary data.
  const decoded = new TextDecoder("utf-8", { fatal: false }).decode(head.subarray(0, Math.max(0, head.length - 3)));
  if (decoded.includes("\uFFFD")) return false;
  return !/[\x00-\x08\x0e-\x1f\x7f]/.test(decoded);
}
