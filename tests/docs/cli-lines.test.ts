// Every `spiffe-ts …` command line shown in README.md and docs/*.md names a real command
// and only flags that command has; lines without placeholders also parse as written.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { COMMON_OPTIONS, parseCommandArgs } from "../../src/cli/command.ts";
import { COMMANDS } from "../../src/cli/main.ts";
import { root, shellWords } from "./shell-blocks.ts";

const pages = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** The `spiffe-ts` invocations of a shell line: each the words up to `&`, `|`, `;` or `)`. */
function invocations(line: string): string[][] {
  const found: string[][] = [];
  const scan = (text: string): void => {
    const words = shellWords(text);
    for (let i = 0; i < words.length; i++) {
      if (words[i] === "spiffe-ts" || words[i]!.endsWith("/spiffe-ts")) {
        const rest: string[] = [];
        for (let j = i + 1; j < words.length && !["&", "|", ";", ")"].includes(words[j]!); j++) rest.push(words[j]!);
        found.push(rest);
      }
      const inner = /^\$\((.*)\)$/.exec(words[i]!);
      if (inner) scan(inner[1]!);
      const assigned = /^[A-Z_]+=\$\((.*)\)$/.exec(words[i]!);
      if (assigned) scan(assigned[1]!);
    }
  };
  scan(line);
  return found;
}

const lines: { page: string; line: string; args: string[] }[] = [];
for (const page of pages) {
  const text = readFileSync(join(root, page), "utf8");
  for (const block of text.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split("\n")) {
      for (const args of invocations(line)) if (args.length > 0 && !args[0]!.startsWith("-")) lines.push({ page, line, args });
    }
  }
}

describe("spiffe-ts command lines in the docs", () => {
  test("there are some (README.md and docs/cli.md show the CLI)", () => {
    expect(lines.some((l) => l.page === "README.md")).toBe(true);
    expect(lines.filter((l) => l.page === "docs/cli.md").length).toBeGreaterThan(10);
  });

  for (const { page, line, args } of lines) {
    test(`${page}: ${line.trim().slice(0, 110)}`, () => {
      const command = COMMANDS.find((c) => c.name.every((w, i) => args[i] === w));
      expect(command ? command.name.join(" ") : `no command for ${JSON.stringify(args.slice(0, 2).join(" "))}`).toBe(args.slice(0, command?.name.length ?? 2).join(" "));
      const flagArgs = args.slice(command!.name.length);
      const known = new Set(Object.keys({ ...COMMON_OPTIONS, ...command!.options }));
      // Flags also inside synopsis brackets: "[--write", "(--allow", "--allow-any)".
      const flags = flagArgs.flatMap((w) => [...w.matchAll(/(?:^|[[(|])--?([a-z][a-z0-9-]*)/g)].map((m) => m[1]!));
      const unknown = flags.filter((f) => !known.has(f) && f !== "h");
      expect(unknown).toEqual([]);
      // A synopsis (with [optional] parts, (a | b) choices or UPPER-CASE placeholders) is only checked for flag names.
      const synopsis = flagArgs.some((w) => /^[[(|]|[\])]$|\.\.\.$|^\.\.\.$/.test(w));
      if (!synopsis) expect(() => parseCommandArgs(command!, flagArgs)).not.toThrow();
    });
  }
});
