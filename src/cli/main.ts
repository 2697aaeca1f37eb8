#!/usr/bin/env node
import { doctorCommand } from "./doctor-command.js";
import { jobsCommand } from "./jobs-command.js";
import { runCommand } from "./run-command.js";
import type { CliIO } from "./run-command.js";
import { stopSignalOn } from "./stop-signal.js";
import { workerCommand } from "./worker-command.js";

const USAGE = `Usage: planwright <command> [options]

Commands:
  run      run the engineer agent on a local checkout (see planwright run --help)
  worker   run job workers only, sharing the server's Redis queue (see planwright worker --help)
  doctor   check this machine and environment before running planwright
  jobs     list, show and cancel jobs in the queue (see planwright jobs --help)

The GitHub App itself starts with \`npm start\` (probot run ./dist/index.js).`;

/** Thin entry point: pick the subcommand, hand it the real process. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io = (signal?: AbortSignal): CliIO => ({
    stdout: (text: string) => process.stdout.write(text),
    stderr: (text: string) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    ...(signal ? { signal } : {}),
  });
  switch (command) {
    case "run":
      // First Ctrl-C stops the run gracefully (the agent stops, commits are kept); a second one kills.
      return runCommand(
        rest,
        io(
          stopSignalOn(["SIGINT"], {
            onFirst: () => process.stderr.write("\nstopping… (Ctrl-C again to quit at once)\n"),
            reason: () => "stopped with Ctrl-C",
          }),
        ),
      );
    case "worker":
      // SIGTERM is how process managers and container runtimes ask a worker to stop.
      return workerCommand(rest, io(stopSignalOn(["SIGTERM", "SIGINT"])));
    case "doctor":
      return doctorCommand(rest, io());
    case "jobs":
      return jobsCommand(rest, io());
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
