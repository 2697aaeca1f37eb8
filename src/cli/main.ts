#!/usr/bin/env node
import { runCommand } from "./run-command.js";

const USAGE = `Usage: planwright <command> [options]

Commands:
  run      run the engineer agent on a local checkout (see planwright run --help)

The GitHub App itself starts with \`npm start\` (probot run ./dist/index.js).`;

/** Thin entry point: pick the subcommand, hand it the real process. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const controller = new AbortController();
  // First Ctrl-C stops the run gracefully (the agent stops, commits are kept); a second one kills.
  process.once("SIGINT", () => {
    process.stderr.write("\nstopping… (Ctrl-C again to quit at once)\n");
    controller.abort(new Error("stopped with Ctrl-C"));
    process.once("SIGINT", () => process.exit(130));
  });
  const io = {
    stdout: (text: string) => process.stdout.write(text),
    stderr: (text: string) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
  };
  switch (command) {
    case "run":
      return runCommand(rest, io);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`planwright: unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`planwright: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
