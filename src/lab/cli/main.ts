// Runs a lab command. A mistake in its flags, or anything else that stops it, is said in
// one line that names the problem, not a stack trace; NEEDADB_DEBUG=1 shows the stack.
import { type ArgsDef, type CommandDef, runMain } from "citty";

export async function runCli<A extends ArgsDef>(command: CommandDef<A>): Promise<void> {
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
