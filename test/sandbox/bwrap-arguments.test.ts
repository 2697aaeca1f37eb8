import { describe, expect, it } from "vitest";
import { bwrapArguments, type BwrapPlan } from "../../src/sandbox/bwrap-arguments.js";

const plan: BwrapPlan = {
  worktree: "/srv/planwright/data/worktrees/acme-1",
  home: "/tmp/planwright-sandbox-x/home",
  hidden: [
    { path: "/srv/planwright/data", kind: "directory" },
    { path: "/srv/planwright/.env", kind: "file" },
    { path: "/srv/planwright/data/worktrees/acme-1/.secret", kind: "file" },
  ],
  network: true,
  env: { PATH: "/usr/bin", HOME: "/tmp/planwright-sandbox-x/home" },
};

/** Position of a `flag a b` triple (or `flag a` pair) in the argument list. */
function positionOf(args: string[], ...sequence: string[]): number {
  const index = args.findIndex((_, i) => sequence.every((part, j) => args[i + j] === part));
  expect(index, `${sequence.join(" ")} in ${args.join(" ")}`).toBeGreaterThanOrEqual(0);
  return index;
}

describe("bwrapArguments", () => {
  const args = bwrapArguments(plan);

  it("hides the data directory before binding the worktree inside it, and makes it read-only after", () => {
    const hide = positionOf(args, "--tmpfs", "/srv/planwright/data");
    const bind = positionOf(args, "--bind", plan.worktree, plan.worktree);
    const readOnly = positionOf(args, "--remount-ro", "/srv/planwright/data");
    expect(hide).toBeLessThan(bind);
    expect(bind).toBeLessThan(readOnly);
  });

  it("covers a hidden file inside the worktree after the worktree is bound", () => {
    const bind = positionOf(args, "--bind", plan.worktree, plan.worktree);
    const cover = positionOf(args, "--ro-bind", "/dev/null", "/srv/planwright/data/worktrees/acme-1/.secret");
    expect(bind).toBeLessThan(cover);
  });

  it("binds the system read-only first and the private /tmp before the home under it", () => {
    const system = positionOf(args, "--ro-bind", "/", "/");
    const tmp = positionOf(args, "--tmpfs", "/tmp");
    const home = positionOf(args, "--bind", plan.home, plan.home);
    expect(system).toBeLessThan(tmp);
    expect(tmp).toBeLessThan(home);
  });

  it("shows exposed paths through the hiding: the mirror read-only, the worktree's git directory writable inside it", () => {
    const mirror = "/srv/planwright/data/mirrors/local/acme/widgets.git";
    const gitDir = `${mirror}/worktrees/acme-1`;
    const exposed = bwrapArguments({
      ...plan,
      hidden: [...plan.hidden, { path: `${mirror}/secret.pem`, kind: "file" }],
      readOnly: [mirror],
      writable: [gitDir],
    });
    const hide = positionOf(exposed, "--tmpfs", "/srv/planwright/data");
    const readOnly = positionOf(exposed, "--ro-bind", mirror, mirror);
    const writable = positionOf(exposed, "--bind", gitDir, gitDir);
    const cover = positionOf(exposed, "--ro-bind", "/dev/null", `${mirror}/secret.pem`);
    const remount = positionOf(exposed, "--remount-ro", "/srv/planwright/data");
    expect(hide).toBeLessThan(readOnly);
    expect(readOnly).toBeLessThan(writable);
    expect(readOnly).toBeLessThan(cover);
    expect(writable).toBeLessThan(remount);
  });

  it("keeps a path asked for both read-only and writable writable, and the worktree always writable", () => {
    const both = bwrapArguments({ ...plan, readOnly: [plan.worktree, "/srv/x"], writable: ["/srv/x"] });
    expect(positionOf(both, "--ro-bind", "/srv/x", "/srv/x")).toBeLessThan(positionOf(both, "--bind", "/srv/x", "/srv/x"));
    expect(positionOf(both, "--ro-bind", plan.worktree, plan.worktree)).toBeLessThan(positionOf(both, "--bind", plan.worktree, plan.worktree));
  });

  it("isolates namespaces, drops capabilities and replaces the environment", () => {
    for (const flag of ["--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--clearenv"]) {
      expect(args).toContain(flag);
    }
    positionOf(args, "--cap-drop", "ALL");
    positionOf(args, "--chdir", plan.worktree);
    expect(positionOf(args, "--clearenv")).toBeLessThan(positionOf(args, "--setenv", "PATH", "/usr/bin"));
    expect(args).not.toContain("--unshare-net");
    expect(bwrapArguments({ ...plan, network: false })).toContain("--unshare-net");
  });
});
