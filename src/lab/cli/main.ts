// Runs a lab command. A mistake in its flags, or anything else that stops it, is said in
// one line that names the problem, not a stack trace; NEEDADB_DEBUG=1 shows the stack. An
// unknown flag is refused before the command does any work.
import { type ArgsDef, type CommandDef, runMain } from "citty";
import { checkFlags } from "./unknown-flags.ts";

export async function runCli<A extends ArgsDef>(command: CommandDef<A>): Promise<void> {
  const wrong = checkFlags(process.argv.slice(2), (command.args ?? {}) as ArgsDef);
  if (wrong) {
    process.stderr.write(`error: ${wrong}\n`);
    process.exit(1);
  }
  const run = command.run;
  await runMain({
    ...command,
    async run(context) {
      try {
        await run?.(context);
      } catch (err) {
        const e = err as Error;
        process.stderr.write(
          `error: ${process.env.NEEDADB_DEBUG ? (e.stack ?? e.message) : e.message}\n`,
        );
        process.exit(1);
      }
    },
  });
}
