// Reading a README as the pair check needs it: its headings (level and text, in order), the code
// blocks and command lines of each section, and the setting names it mentions; then comparing the
// English README with its Japanese rendering. The Japanese one may say things in other words, so
// prose is not compared; what an operator copies and runs is.

export interface Section {
  level: number;
  heading: string;
  blocks: CodeBlock[];
  /** inline `code` spans that are commands (curl, az, npm, npx, …), as a set */
  inlineCommands: string[];
}

export interface CodeBlock {
  lang: string;
  /** the block's commands, normalised: see commandsOf */
  commands: string[];
}

/** The words an inline code span starts with when it is a command to run rather than a name. */
const COMMAND_WORDS = /^(curl|az|npm|npx|node|func|sudo|apt-get|bash|git|relay)\s/;
const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console']);
/** Setting names: the relay's own, the smart host's, and the Functions host's that the docs name. */
const SETTING = /\b(?:SMARTHOST_[A-Z0-9_*]*[A-Z0-9*]|RELAY_[A-Z0-9_*]*[A-Z0-9*]|AzureWebJobs[A-Za-z0-9_]+|APPLICATIONINSIGHTS_[A-Z0-9_]*[A-Z0-9])/g;

const squash = (line: string) => line.replace(/\s+/g, ' ').trim();

/**
 * A code block's commands. Shell: continuation lines joined, comment lines (example output) and
 * trailing `# comments` dropped. JavaScript: `// comments` dropped. Anything else: its non-empty
 * lines. Whitespace runs count as one space.
 */
export function commandsOf(lang: string, lines: string[]): string[] {
  if (SHELL_LANGS.has(lang)) {
    const commands: string[] = [];
    let pending = '';
    for (const raw of lines) {
      if (pending === '' && /^\s*#/.test(raw)) continue;
      const line = raw.replace(/\s+#\s.*$/, '');
      // a quoted argument (a JSON body) may run over several lines
      const openQuote = ((pending + line).match(/'/g) ?? []).length % 2 === 1;
      if (openQuote) {
        pending += `${line} `;
        continue;
      }
      if (/\\\s*$/.test(line)) {
        pending += `${line.replace(/\\\s*$/, '')} `;
        continue;
      }
      const command = squash(pending + line);
      pending = '';
      if (command !== '') commands.push(command);
    }
    if (squash(pending) !== '') commands.push(squash(pending));
    return commands;
  }
  const code = lang === 'js' || lang === 'ts' ? lines.map((l) => l.replace(/(^|\s)\/\/.*$/, '')) : lines;
  return code.map(squash).filter((l) => l !== '');
}

export function parseReadme(text: string): Section[] {
  const sections: Section[] = [{ level: 0, heading: '(before the first heading)', blocks: [], inlineCommands: [] }];
  let fence: { marker: string; lang: string; lines: string[] } | null = null;
  const prose = new Map<Section, string[]>();
  for (const line of text.split('\n')) {
    const current = sections[sections.length - 1];
    if (fence) {
      if (line.trim().startsWith(fence.marker) && line.trim().replace(/[`~]/g, '') === '') {
        current.blocks.push({ lang: fence.lang, commands: commandsOf(fence.lang, fence.lines) });
        fence = null;
      } else fence.lines.push(line);
      continue;
    }
    const opening = /^\s*(```+|~~~+)\s*([\w-]*)/.exec(line);
    if (opening) {
      fence = { marker: opening[1], lang: (opening[2] ?? '').toLowerCase(), lines: [] };
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      sections.push({ level: heading[1].length, heading: heading[2], blocks: [], inlineCommands: [] });
      continue;
    }
    (prose.get(current) ?? prose.set(current, []).get(current)!).push(line);
  }
  // a code span may run over a line break, so spans are read from each section's prose as a whole
  for (const [section, lines] of prose) {
    for (const [, span] of lines.join('\n').matchAll(/`([^`]+)`/g)) {
      const command = squash(span ?? '');
      if (COMMAND_WORDS.test(command) && !section.inlineCommands.includes(command)) section.inlineCommands.push(command);
    }
  }
  for (const s of sections) s.inlineCommands.sort();
  return sections;
}

export function settingNames(text: string): Set<string> {
  return new Set([...text.matchAll(SETTING)].map((m) => m[0]));
}

const QUOTED = /"(?:[^"\\]|\\.)*"/g;
const japanese = (text: string) => /[^\x00-\x7f]/.test(text);

/**
 * Two commands are the same when they are equal outside their double-quoted strings and each pair of
 * strings is equal, or one of the two holds non-ASCII text: a subject, a reason or a display name
 * written in Japanese is the same command; a changed flag, URL, key or an ASCII value is not.
 */
export function sameCommand(english: string, other: string): boolean {
  if (english === other) return true;
  if (english.replace(QUOTED, '""') !== other.replace(QUOTED, '""')) return false;
  const a = english.match(QUOTED) ?? [];
  const b = other.match(QUOTED) ?? [];
  return a.length === b.length && a.every((s, i) => s === b[i] || japanese(s) || japanese(b[i] ?? ''));
}

/** The first lines of a page link `target` (the language switch at the top). */
export function linksAtTop(text: string, target: string, lines = 5): boolean {
  const top = text.split('\n').slice(0, lines).join('\n');
  return top.includes(`](${target})`);
}

/** What differs between README.md (`english`) and README.ja.md (`japanese`), as sentences; [] when in step. */
export function readmeDifferences(english: string, japaneseText: string): string[] {
  const problems: string[] = [];
  if (!linksAtTop(english, 'README.ja.md')) problems.push('README.md does not link README.ja.md in its first lines');
  if (!linksAtTop(japaneseText, 'README.md')) problems.push('README.ja.md does not link README.md in its first lines');

  const en = parseReadme(english);
  const ja = parseReadme(japaneseText);
  const outline = (s: Section[]) => s.map((x) => '#'.repeat(x.level)).join(' ');
  if (outline(en) !== outline(ja)) {
    problems.push(
      `the section structure differs: README.md has ${en.length - 1} headings (${outline(en).trim()}), README.ja.md ${ja.length - 1} (${outline(ja).trim()})`,
    );
  }
  // sections are mapped by position; past a structural difference the pairs stop meaning anything
  const paired = outline(en) === outline(ja) ? en.length : 0;
  for (let i = 0; i < paired; i++) {
    const e = en[i];
    const j = ja[i];
    const where = `section ${i} "${e.heading}" / "${j.heading}"`;
    const langs = (s: Section) => s.blocks.map((b) => b.lang || 'text').join(', ');
    if (langs(e) !== langs(j)) {
      problems.push(`${where}: code blocks differ: README.md [${langs(e)}], README.ja.md [${langs(j)}]`);
      continue;
    }
    e.blocks.forEach((block, b) => {
      const other = j.blocks[b].commands;
      for (const command of block.commands) {
        if (!other.some((c) => sameCommand(command, c))) problems.push(`${where}: README.ja.md lacks the command \`${command}\` (code block ${b + 1})`);
      }
      for (const command of other) {
        if (!block.commands.some((c) => sameCommand(c, command))) problems.push(`${where}: README.md lacks the command \`${command}\` (code block ${b + 1})`);
      }
      if (block.commands.length !== other.length)
        problems.push(`${where}: code block ${b + 1} has ${block.commands.length} commands in README.md, ${other.length} in README.ja.md`);
    });
    for (const command of e.inlineCommands.filter((c) => !j.inlineCommands.includes(c)))
      problems.push(`${where}: README.ja.md does not mention \`${command}\``);
    for (const command of j.inlineCommands.filter((c) => !e.inlineCommands.includes(c))) problems.push(`${where}: README.md does not mention \`${command}\``);
  }

  const enSettings = settingNames(english);
  const jaSettings = settingNames(japaneseText);
  for (const name of enSettings) if (!jaSettings.has(name)) problems.push(`README.ja.md never names the setting ${name}`);
  for (const name of jaSettings) if (!enSettings.has(name)) problems.push(`README.md never names the setting ${name}`);
  return problems;
}
