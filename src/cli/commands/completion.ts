/**
 * `scancopy completion bash|zsh`: a completion script made from the program's own commands
 * and options, so it never lags behind them. Install: `source <(scancopy completion bash)`
 * in ~/.bashrc, or `scancopy completion zsh > "${fpath[1]}/_scancopy"`.
 */
import { Command, Argument, type Option } from 'commander';

const SHELLS = ['bash', 'zsh'] as const;
type Shell = (typeof SHELLS)[number];

export function completionCommand(): Command {
  return new Command('completion')
    .description('Print a shell completion script for bash or zsh.')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(SHELLS))
    .addHelpText('after', `
Install:
  bash: echo 'source <(scancopy completion bash)' >> ~/.bashrc
  zsh:  scancopy completion zsh > "\${fpath[1]}/_scancopy"   (then start a new shell)`)
    .action((shell: Shell, _flags: unknown, command: Command) => {
      const program = command.parent as Command;
      process.stdout.write(shell === 'bash' ? bashScript(program) : zshScript(program));
    });
}

interface CommandSpec {
  name: string;
  description: string;
  options: Option[];
  subcommands: string[];
}

function specsOf(program: Command): CommandSpec[] {
  // The program's own --version is no option of a command.
  const global = program.options.filter((g) => g.long !== '--version');
  return program.commands.map((c) => ({
    name: c.name(),
    description: c.description(),
    options: [...c.options, ...global.filter((g) => !c.options.some((o) => o.long === g.long))].filter((o) => !o.hidden),
    // Subcommands (config path|show) and an argument's choices (completion bash|zsh) are the words after the command.
    subcommands: [...c.commands.map((s) => s.name()), ...c.registeredArguments.flatMap((a) => a.argChoices ?? [])],
  }));
}

const longs = (options: readonly Option[]): string[] => options.flatMap((o) => (o.long ? [o.long] : [])).concat('--help');

export function bashScript(program: Command): string {
  const specs = specsOf(program);
  const cases = specs.map((s) => `    ${s.name}) words="${[...s.subcommands, ...longs(s.options)].join(' ')}" ;;`).join('\n');
  return `# scancopy completion for bash: source <(scancopy completion bash)
_scancopy() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" words
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${specs.map((s) => s.name).join(' ')} --help --version" -- "$cur") )
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
    *) words="" ;;
  esac
  if [[ "$cur" == -* || "$COMP_CWORD" -eq 2 && -n "$words" && "$words" != --* ]]; then
    COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  else
    COMPREPLY=( $(compgen -f -- "$cur") )
  fi
}
complete -o default -F _scancopy scancopy
`;
}

export function zshScript(program: Command): string {
  const specs = specsOf(program);
  const quote = (text: string): string => text.replace(/'/g, "'\\''").replace(/([[\]:])/g, '\\$1');
  const optionSpec = (o: Option): string => {
    const value = o.required || o.optional ? `:${quote(o.flags.replace(/^.*?[<[]/, '').replace(/[>\]]$/, ''))}:${o.argChoices ? `(${o.argChoices.join(' ')})` : '_files'}` : '';
    return `'${o.long}[${quote(o.description)}]${value}'`;
  };
  const cases = specs
    .map((s) => {
      const args = [...s.options.filter((o) => o.long).map(optionSpec), ...(s.subcommands.length > 0 ? [`'1:subcommand:(${s.subcommands.join(' ')})'`] : []), "'*:file:_files'"];
      return `    ${s.name})\n      _arguments \\\n        ${args.join(' \\\n        ')} ;;`;
    })
    .join('\n');
  return `#compdef scancopy
# scancopy completion for zsh: scancopy completion zsh > "\${fpath[1]}/_scancopy"
_scancopy() {
  local -a commands
  commands=(
${specs.map((s) => `    '${s.name}:${quote(s.description)}'`).join('\n')}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  case $words[2] in
${cases}
  esac
}
_scancopy "$@"
`;
}
