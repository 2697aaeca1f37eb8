import path from "node:path";

/**
 * Namespaces and privileges every bubblewrap sandbox gets, also used by the
 * availability probe so the probe fails exactly when a real run would.
 */
export const ISOLATION_FLAGS: readonly string[] = [
  // If planwright dies, the sandbox dies with it instead of running on unsupervised.
  "--die-with-parent",
  // A new session has no controlling terminal, so TIOCSTI cannot push keystrokes into ours.
  "--new-session",
  // A private pid namespace: the command cannot see or signal host processes, and when its
  // init exits the kernel kills every process left inside, even daemonised ones.
  "--unshare-pid",
  "--unshare-ipc",
  "--unshare-uts",
  // Run as root, bubblewrap would otherwise keep every capability, and CAP_SYS_ADMIN can
  // simply unmount what hides the data directory. Harmless when not root.
  "--cap-drop",
  "ALL",
];

/** A path to hide from the command, as found on the host at run time. */
export interface HiddenPath {
  path: string;
  kind: "directory" | "file";
}

export interface BwrapPlan {
  /** Real (symlink-free) path of the worktree: bound writable, and the working directory. */
  worktree: string;
  /** Real path of the command's HOME: bound writable. */
  home: string;
  hidden: readonly HiddenPath[];
  /** Real paths shown read-only even inside a hidden directory (a mirror's objects and refs). */
  readOnly?: readonly string[];
  /** Real paths shown writable even inside a hidden directory (a worktree's own git directory). */
  writable?: readonly string[];
  network: boolean;
  env: Record<string, string>;
}

interface Mount {
  target: string;
  args: string[];
}

/**
 * bubblewrap arguments (everything before the command) for a plan.
 *
 * bubblewrap applies mounts in argument order, each on top of the earlier
 * ones. Ordering them from shallow to deep paths makes the most specific
 * mount win: a worktree under the hidden data directory is bound after the
 * empty tmpfs that hides the directory, so it stays visible and writable,
 * and a hidden file inside the worktree is covered after the worktree is bound.
 * The same holds for the extra read-only and writable paths: a mirror inside
 * the data directory shows through its tmpfs, a worktree's git directory
 * inside the read-only mirror is writable, and anything hidden below them is
 * covered again.
 */
export function bwrapArguments(plan: BwrapPlan): string[] {
  const mounts: Mount[] = [
    // A private, empty /tmp; TMPDIR points here.
    { target: "/tmp", args: ["--tmpfs", "/tmp"] },
    ...plan.hidden.map((hidden) =>
      hidden.kind === "directory"
        ? { target: hidden.path, args: ["--tmpfs", hidden.path] }
        : // A file cannot be covered by a tmpfs; /dev/null mounted read-only (and nodev) cannot be read.
          { target: hidden.path, args: ["--ro-bind", "/dev/null", hidden.path] },
    ),
    // Binds come after hides of the same depth, so a worktree never disappears
    // (and the caller cannot name a hidden path: the sandbox refuses those).
    ...(plan.readOnly ?? []).map((dir) => ({ target: dir, args: ["--ro-bind", dir, dir] })),
    // After read-only ones of the same depth: a path asked for both ways stays writable.
    ...(plan.writable ?? []).map((dir) => ({ target: dir, args: ["--bind", dir, dir] })),
    { target: plan.worktree, args: ["--bind", plan.worktree, plan.worktree] },
    { target: plan.home, args: ["--bind", plan.home, plan.home] },
  ];
  const ordered = mounts
    .map((mount, index) => ({ mount, index, depth: depthOf(mount.target) }))
    .sort((a, b) => a.depth - b.depth || a.index - b.index)
    .map(({ mount }) => mount);

  const args = [...ISOLATION_FLAGS];
  if (!plan.network) args.push("--unshare-net");
  // The whole system read-only, so compilers, interpreters and their libraries work as on the host.
  args.push("--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev");
  for (const mount of ordered) args.push(...mount.args);
  // Read-only only now: bubblewrap creates the mount points for nested binds inside these tmpfs first.
  for (const hidden of plan.hidden) {
    if (hidden.kind === "directory") args.push("--remount-ro", hidden.path);
  }
  args.push("--chdir", plan.worktree, "--clearenv");
  for (const [name, value] of Object.entries(plan.env)) args.push("--setenv", name, value);
  return args;
}

function depthOf(target: string): number {
  return path.resolve(target).split(path.sep).filter(Boolean).length;
}
