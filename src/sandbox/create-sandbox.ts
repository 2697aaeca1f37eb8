import { ConfigurationError } from "../errors.js";
import { BwrapSandbox, DEFAULT_BWRAP_PATH } from "./bwrap-sandbox.js";
import { hostCredentialPaths } from "./host-credential-paths.js";
import { HOST_SOCKET_PATHS } from "./host-socket-paths.js";
import { PlainSandbox } from "./plain-sandbox.js";
import { probeBwrap } from "./probe-bwrap.js";
import type { Sandbox } from "./sandbox.js";

export interface CreateSandboxOptions {
  /** The data directory, the app's `.env`, the private key file: never visible to commands. */
  hiddenPaths: string[];
  log?: { warn(msg: string): void };
  bwrapPath?: string;
  /** Where allow-listed variables come from; defaults to `process.env`. */
  parentEnv?: NodeJS.ProcessEnv;
  /**
   * The operator's home, whose well-known credential files (~/.ssh,
   * ~/.config/gh, ~/.npmrc, ...) are hidden as well. Defaults to `os.homedir()`.
   */
  hostHome?: string;
}

/**
 * What a Docker container needs for bubblewrap: seccomp and AppArmor let it
 * create namespaces, and `systempaths` unmasks /proc, without which bwrap
 * cannot mount the sandbox's own /proc ("Can't mount proc on /newroot/proc").
 * Found by running the image, not by reading about it.
 */
export const DOCKER_SANDBOX_OPTIONS = "--security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined";

const HOW_TO_FIX = [
  "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap; Alpine: apk add bubblewrap)",
  "allow unprivileged user namespaces if planwright does not run as root (Debian: sysctl kernel.unprivileged_userns_clone=1; " +
    "Ubuntu 24.04+: sysctl kernel.apparmor_restrict_unprivileged_userns=0)",
  "in Docker, the default seccomp and AppArmor profiles block namespaces and the masked /proc blocks the sandbox's own: " +
    `run the container with ${DOCKER_SANDBOX_OPTIONS} (or profiles that allow them)`,
];

/**
 * The sandbox for `PLANWRIGHT_SANDBOX`:
 * - `bwrap`: bubblewrap, or a ConfigurationError saying how to make it work;
 * - `none`: plain processes (environment scrubbed, nothing else isolated);
 * - `auto`: bubblewrap if a trial sandbox starts, otherwise plain processes
 *   with one warning in the log.
 */
export async function createSandbox(mode: "auto" | "bwrap" | "none", options: CreateSandboxOptions): Promise<Sandbox> {
  const plain = () => new PlainSandbox({ log: options.log, parentEnv: options.parentEnv });
  if (mode === "none") return plain();

  const bwrapPath = options.bwrapPath ?? DEFAULT_BWRAP_PATH;
  const probe = await probeBwrap(bwrapPath, options.parentEnv);
  if (probe.usable) {
    return new BwrapSandbox({
      hiddenPaths: [...options.hiddenPaths, ...hostCredentialPaths(options.hostHome), ...HOST_SOCKET_PATHS],
      bwrapPath,
      parentEnv: options.parentEnv,
      log: options.log,
    });
  }
  if (mode === "bwrap") {
    throw new ConfigurationError(
      `PLANWRIGHT_SANDBOX=bwrap, but bubblewrap cannot run here (${probe.reason}). To fix it:`,
      [...HOW_TO_FIX, 'or set PLANWRIGHT_SANDBOX=auto or none to run commands without isolation (not recommended)'],
    );
  }
  options.log?.warn(
    `sandbox: bubblewrap cannot run here (${probe.reason}), so commands run by the agent and the setup/test commands ` +
      "are NOT isolated: their environment is scrubbed, but they can read planwright's data directory, .env and " +
      "private key, write anywhere planwright can, and always reach the network. To isolate them: " +
      `${HOW_TO_FIX.join("; ")}. Set PLANWRIGHT_SANDBOX=none to acknowledge running without isolation.`,
  );
  return plain();
}
