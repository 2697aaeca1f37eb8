import os from "node:os";
import path from "node:path";

/**
 * Where command-line tools keep credentials in a user's home. With the whole
 * system bound read-only, a command could otherwise read the operator's SSH
 * keys or `gh` token by absolute path even though HOME points elsewhere. Whole
 * tool directories that also hold programs on PATH (~/.cargo, ~/.nvm) are not
 * listed; only their credential files are.
 */
const RELATIVE_PATHS = [
  ".ssh",
  ".gnupg",
  ".git-credentials",
  ".config/git/credentials",
  ".config/gh",
  ".config/hub",
  ".netrc",
  ".npmrc",
  ".yarnrc.yml",
  ".pypirc",
  ".docker/config.json",
  ".aws",
  ".azure",
  ".config/gcloud",
  ".kube",
  ".cargo/credentials",
  ".cargo/credentials.toml",
  ".terraform.d/credentials.tfrc.json",
];

export function hostCredentialPaths(home: string = os.homedir()): string[] {
  return RELATIVE_PATHS.map((relative) => path.join(home, relative));
}
