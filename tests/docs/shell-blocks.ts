// Shell command blocks of the Markdown files: ```sh / ```bash fences, split into command lines
// (backslash continuations joined, comments dropped), and a word splitter that keeps quotes
// and $(…) whole. Shared by the docs tests (cli-lines.test.ts, commands.test.ts).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const root: string = fileURLToPath(new URL("../..", import.meta.url));

/** One command line of a shell block, as a reader copies it. */
export interface CommandLine {
  /** Markdown file relative to the root, e.g. `examples/bun-server/README.md`. */
  readonly file: string;
  /** Index of the block in the file (0-based). */
  readonly block: number;
  /** The command, continuations joined, without its trailing comment. */
  readonly command: string;
}

/** README.md, docs/*.md, and the READMEs under examples/ and deploy/. */
export function markdownWithCommands(): string[] {
  const under = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? (e.name === "api" || e.name === "gen" ? [] : under(`${dir}/${e.name}`)) : e.name.endsWith(".md") ? [`${dir}/${e.name}`] : [],
    );
  return ["README.md", ...under("docs"), ...under("examples"), ...under("deploy")].sort();
}

/** Splits a shell line into words: quotes and $(…) are kept whole; stops at a comment. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let depth = 0;
  let quote: string | undefined;
  const flush = (): void => {
    if (word) words.push(word);
    word = "";
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === "$" && line[i + 1] === "(") {
      depth++;
      word += "$(";
      i++;
    } else if (depth > 0) {
      if (c === "(") depth++;
      if (c === ")") depth--;
      word += c;
    } else if (c === "#" && word === "") {
      break;
    } else if (c === " " || c === "\t") {
      flush();
    } else if (c === "&" || c === "|" || c === ";" || c === ")") {
      flush();
      words.push(c);
    } else {
      word += c;
    }
  }
  flush();
  return words;
}

/** Drops a trailing `# comment` (outside quotes) and surrounding blanks. */
export function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === 0 || line[i - 1] === " ")) return line.slice(0, i).trim();
  }
  return line.trim();
}

/** Every command line of every shell block of `file`. */
export function commandLines(file: string): CommandLine[] {
  const text = readFileSync(join(root, file), "utf8");
  const out: CommandLine[] = [];
  [...text.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)].forEach((m, block) => {
    let pending = "";
    for (const raw of m[1]!.split("\n")) {
      const line = withoutComment(raw);
      if (line.endsWith("\\")) {
        pending += `${line.slice(0, -1).trim()} `;
        continue;
      }
      const command = (pending + line).trim();
      pending = "";
      if (command) out.push({ file, block, command });
    }
  });
  return out;
}
