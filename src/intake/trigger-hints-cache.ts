import { REPO_CONFIG_PATH } from "../config/repo-config.js";
import type { AgentRoute } from "../triggers/trigger.js";

/** What a repository's config says about which issue events can be triggers at all. */
export interface TriggerHints {
  /** Agent labels, lower-cased. */
  labels: ReadonlySet<string>;
  autoTrigger: boolean;
}

export interface TriggerHintsCacheOptions {
  /** How long a repository's hints are trusted without a push saying they changed. Default 10 min. */
  ttlMs?: number;
  /** Repositories remembered at once; the least recently used go first. Default 5,000. */
  maxRepos?: number;
  now?: () => number;
}

const AGENTS_DIR = ".claude/agents/";
/** GitHub lists at most this many commits in a push payload; a longer push may hide the file that changed. */
const PUSH_PAYLOAD_COMMIT_CAP = 20;

/**
 * Lets the intake skip `issues.labeled` / `unlabeled` / `opened` events that
 * cannot be triggers (a `bug` label, a new issue in a repository without
 * auto_trigger) without reading `.github/planwright.yml` and `.claude/agents`
 * again: those reads cost 2–3 API calls per event, which a busy organisation's
 * label traffic would spend by the thousand per hour.
 *
 * Only "certainly not a trigger" is answered from here; an event that may be
 * one always goes through a fresh config read. Hints are dropped when a push to
 * the default branch touches the config or agent definitions (planwright
 * subscribes to `push` for this), and expire after `ttlMs` in case that push
 * was never delivered.
 */
export class TriggerHintsCache {
  private readonly ttlMs: number;
  private readonly maxRepos: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, { hints: TriggerHints; expiresAt: number }>();

  constructor(options: TriggerHintsCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.maxRepos = options.maxRepos ?? 5000;
    this.now = options.now ?? Date.now;
  }

  remember(repoFullName: string, routes: readonly AgentRoute[], autoTrigger: boolean): void {
    const key = repoFullName.toLowerCase();
    this.entries.delete(key);
    this.entries.set(key, {
      hints: { labels: new Set(routes.map((r) => r.label.toLowerCase()).filter((l) => l !== "")), autoTrigger },
      expiresAt: this.now() + this.ttlMs,
    });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxRepos) break;
      this.entries.delete(oldest);
    }
  }

  get(repoFullName: string): TriggerHints | undefined {
    const key = repoFullName.toLowerCase();
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // Refreshes its place in the LRU order, not its expiry.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.hints;
  }

  /**
   * The reason an event is certainly not a trigger, by the cached hints; undefined
   * when nothing is cached or it may be one. Only issue events are judged here:
   * comments and reviews are already filtered by their text.
   */
  skipReason(eventName: string, payload: unknown, repoFullName: string): string | undefined {
    if (eventName !== "issues") return undefined;
    const hints = this.get(repoFullName);
    if (!hints) return undefined;
    const p = payload as { action?: unknown; label?: { name?: unknown } };
    if (p.action === "opened" && !hints.autoTrigger) return "auto_trigger is off (cached config)";
    if ((p.action === "labeled" || p.action === "unlabeled") && typeof p.label?.name === "string") {
      if (!hints.labels.has(p.label.name.toLowerCase())) return `label ${JSON.stringify(p.label.name)} is not an agent label (cached config)`;
    }
    return undefined;
  }

  /** Call for every `push` webhook: drops what it may have made stale. */
  notePush(payload: unknown): void {
    const p = payload as PushPayload;
    const repo = p.repository;
    if (typeof repo?.full_name !== "string" || typeof p.ref !== "string") return;
    if (p.ref !== `refs/heads/${repo.default_branch ?? ""}`) return;
    if (!pushTouchesTriggerConfig(p)) return;
    // Probot reads the config from the owner's `.github` repository when the repository has none.
    if (repo.name === ".github") {
      const prefix = `${repo.full_name.split("/")[0]!.toLowerCase()}/`;
      for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
      return;
    }
    this.entries.delete(repo.full_name.toLowerCase());
  }
}

interface PushPayload {
  ref?: unknown;
  repository?: { full_name?: unknown; name?: unknown; default_branch?: unknown };
  commits?: { added?: unknown; modified?: unknown; removed?: unknown }[];
}

function pushTouchesTriggerConfig(p: PushPayload): boolean {
  const commits = Array.isArray(p.commits) ? p.commits : [];
  // A force push or one past the payload's commit cap may not list the file; assume it changed.
  if (commits.length === 0 || commits.length >= PUSH_PAYLOAD_COMMIT_CAP) return true;
  return commits.some((c) =>
    [c.added, c.modified, c.removed].some(
      (files) => Array.isArray(files) && files.some((f) => typeof f === "string" && (f === REPO_CONFIG_PATH || f.startsWith(AGENTS_DIR))),
    ),
  );
}
