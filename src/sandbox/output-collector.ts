import { StringDecoder } from "node:string_decoder";

export type StreamName = "stdout" | "stderr";

export interface CollectedOutput {
  stdout: string;
  stderr: string;
  output: string;
  truncated: boolean;
}

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

  constructor(private readonly maxBytes: number) {}

  push(stream: StreamName, chunk: Buffer): void {
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
    };
  }

  private append(stream: StreamName, text: string): void {
    if (text === "") return;
    this.parts[stream].push(text);
    this.interleaved.push(text);
  }
}
