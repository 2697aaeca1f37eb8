import { StringDecoder } from "node:string_decoder";

export type StreamName = "stdout" | "stderr";

export interface CollectedOutput {
  stdout: string;
  stderr: string;
  output: string;
  truncated: boolean;
  /** The last OUTPUT_END_BYTES of everything, when anything was dropped; else empty. */
  outputEnd: string;
}

/** How much of the end of a long output is kept beside its capped head. */
export const OUTPUT_END_BYTES = 64 * 1024;

/**
 * Keeps at most `maxBytes` of each stream, plus both interleaved in arrival
 * order. Beyond the cap, data is counted and dropped rather than buffered, so
 * a command printing gigabytes costs no more memory than one printing the cap.
 */
export class OutputCollector {
  private readonly parts: Record<StreamName, string[]> = { stdout: [], stderr: [] };
  private readonly interleaved: string[] = [];
  private readonly kept: Record<StreamName, number> = { stdout: 0, stderr: 0 };
  // One decoder per stream, so a multi-byte character split across chunks is not mangled.
  private readonly decoders: Record<StreamName, StringDecoder> = {
    stdout: new StringDecoder("utf8"),
    stderr: new StringDecoder("utf8"),
  };
  private dropped = false;
  /** The newest bytes of both streams in arrival order, at most OUTPUT_END_BYTES plus one chunk. */
  private end: Buffer[] = [];
  private endBytes = 0;

  constructor(private readonly maxBytes: number) {}

  push(stream: StreamName, chunk: Buffer): void {
    this.keepEnd(chunk);
    const room = this.maxBytes - this.kept[stream];
    if (chunk.length > room) this.dropped = true;
    if (room <= 0) return;
    const keep = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.kept[stream] += keep.length;
    this.append(stream, this.decoders[stream].write(keep));
  }

  finish(): CollectedOutput {
    this.append("stdout", this.decoders.stdout.end());
    this.append("stderr", this.decoders.stderr.end());
    return {
      stdout: this.parts.stdout.join(""),
      stderr: this.parts.stderr.join(""),
      output: this.interleaved.join(""),
      truncated: this.dropped,
      outputEnd: this.dropped ? this.endText() : "",
    };
  }

  private keepEnd(chunk: Buffer): void {
    this.end.push(Buffer.from(chunk));
    this.endBytes += chunk.length;
    while (this.end.length > 1 && this.endBytes - this.end[0]!.length >= OUTPUT_END_BYTES) this.endBytes -= this.end.shift()!.length;
  }

  private endText(): string {
    let bytes = Buffer.concat(this.end);
    if (bytes.length > OUTPUT_END_BYTES) bytes = bytes.subarray(bytes.length - OUTPUT_END_BYTES);
    const text = bytes.toString("utf8");
    // The cut may fall mid-line (or mid-character): start at the next whole line when one begins soon.
    const newline = text.indexOf("\n");
    return newline >= 0 && newline < 1024 ? text.slice(newline + 1) : text;
  }

  private append(stream: StreamName, text: string): void {
    if (text === "") return;
    this.parts[stream].push(text);
    this.interleaved.push(text);
  }
}
