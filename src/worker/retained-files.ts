import { pruneTranscripts, transcriptsDir } from "../pipeline/prune-transcripts.js";
import { MirrorWorkspace, workspacesRoot } from "../workspace/mirror-workspace.js";

/**
 * What a process with workers keeps in its data directory besides the queue,
 * each with how to delete what is older than a cutoff: run transcripts, and
 * mirrors of repositories no run used since.
 */
export function retainedFiles(dataDir: string): Record<string, (cutoff: number) => Promise<number>> {
  const workspace = new MirrorWorkspace({ root: workspacesRoot(dataDir) });
  return {
    transcripts: (cutoff) => pruneTranscripts(transcriptsDir(dataDir), cutoff),
    mirrors: (cutoff) => workspace.pruneIdleMirrors(cutoff),
  };
}
