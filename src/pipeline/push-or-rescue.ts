import { PushRejectedError } from "../workspace/workspace.js";
import type { Checkout, Workspace } from "../workspace/workspace.js";

/**
 * Pushes the run's branch; when someone pushed to it meanwhile, pushes the
 * run's commit to `<branch>-rescued-<run>` instead and still fails the push,
 * naming that branch. The worktree is reset once the run ends, so without
 * this a race with a reviewer's push would throw away the agent's work (and
 * what it cost). Never force-pushes: the person's commits stay as they are.
 */
export async function pushOrRescue(
  workspace: Workspace,
  checkout: Checkout,
  request: Parameters<Workspace["push"]>[1],
  runId: string,
): Promise<void> {
  try {
    await workspace.push(checkout, request);
  } catch (error) {
    if (!(error instanceof PushRejectedError)) throw error;
    const rescue = `${checkout.branch}-rescued-${runId.slice(0, 8)}`;
    const kept = await workspace.push({ ...checkout, branch: rescue }, request).then(
      () => true,
      () => false,
    );
    throw kept ? new PushRejectedError(error.branch, error.detail, rescue) : error;
  }
}
