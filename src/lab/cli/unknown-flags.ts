// Refuses a command line that holds a flag the command does not define, or a word that is
// no flag's value, before any work starts: a typo such as --aproaches must not run the
// whole bench with its default instead. Pure: the caller says what to do with the message.
import { distance } from "fastest-levenshtein";

/** What a flag definition needs to say for this check (citty's ArgDef has these). */
interface FlagDef {
  type?: string;
  alias?: string | string[];
}

/** Flags every command takes: citty's help. */
const BUILT_IN = ["help", "h"];
/** A suggestion farther than this many edits, or a third of the name, is no suggestion. */
const EDITS_MAX = 3;

function names(defs: Record<string, FlagDef>) {
  const all = new Map<string, FlagDef>();
  for (const [name, def] of Object.entries(defs)) {
    all.set(name, def);
    for (const a of [def.alias ?? []].flat()) all.set(a, def);
    if (def.type === "boolean") all.set(`no-${name}`, def);
  }
  for (const b of BUILT_IN) all.set(b, { type: "boolean" });
  return all;
}

/** The known flag nearest `name`, if it is near enough to be what was meant. */
export function nearest(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(name, k);
    if (!best || d < best.d) best = { name: k, d };
  }
  const near = best && best.d <= Math.min(EDITS_MAX, Math.max(1, Math.ceil(name.length / 3)));
  return near ? best?.name : undefined;
}

const dashes = (name: string) => (name.length === 1 ? `-${name}` : `--${name}`);

/**
 * Why `argv` does not fit `defs`: an unknown flag (with the nearest known one), or a word
 * that is no flag's value. Undefined when every word is accounted for.
 */
export function checkFlags(
  argv: readonly string[],
  defs: Record<string, FlagDef>,
): string | undefined {
  const known = names(defs);
  const flagNames = [...known.keys()].filter((k) => k.length > 1 && !BUILT_IN.includes(k));
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === "--") return undefined;
    if (!word.startsWith("-") || word === "-") {
      return `unexpected "${word}": every setting is a flag, such as --help`;
    }
    const [name = "", value] = word.replace(/^--?/, "").split(/=(.*)/s);
    const def = known.get(name);
    if (!def) {
      const near = nearest(name, flagNames);
      return `unknown flag ${dashes(name)}${near ? `; did you mean --${near}?` : ""} (--help lists them)`;
    }
    // A flag that takes a value takes the next word, unless it came after "=".
    if (def.type !== "boolean" && value === undefined) i++;
  }
  return undefined;
}
