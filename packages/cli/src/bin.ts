#!/usr/bin/env node
// The `reprise` executable: runs main() on the process's arguments and exits with its code.
// Everything else lives in main.ts and the commands; this file only deals with the process itself.
import { main } from "./main.js";

// `reprise runs | head` closes the pipe before all output is written: that ends the command, it is not a failure.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(0);
  });
}

process.exitCode = await main(process.argv.slice(2));
