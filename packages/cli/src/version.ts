/**
 * `cattail version` (the root package.json's version, read once by @cattail/common) and `cattail completion bash|zsh` (a
 * completion script generated from the program's own commands and options, so it never drifts).
 */
import { Command, Argument } from 'commander'
import { CATTAIL_VERSION } from '@cattail/common'

/** Builds `cattail version`. */
export function versionCommand(): Command {
  return new Command('version').description('Print the cattail version.').action(() => {
    process.stdout.write(`cattail ${CATTAIL_VERSION}\n`)
  })
}

/** A bash completion script for `program`: subcommands, then each subcommand's long options. */
export function bashCompletion(program: Command): string {
  const subs = program.commands.map((c) => c.name())
  const cases = program.commands
    .map((c) => {
      const opts = [...c.options.flatMap((o) => (o.long !== undefined ? [o.long] : [])), '--help']
      const args = c.name() === 'completion' ? ' bash zsh' : ''
      return `    ${c.name()}) words="${opts.join(' ')}${args}" ;;`
    })
    .join('\n')
  return `# bash completion for cattail: source <(cattail completion bash)
_cattail() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" words
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${subs.join(' ')} --help --version" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _cattail cattail
`
}

/** The zsh script: zsh's bash-completion compatibility running the bash one. */
export function zshCompletion(program: Command): string {
  return `#compdef cattail
# zsh completion for cattail: source <(cattail completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program)}`
}

/** Builds `cattail completion bash|zsh`; `program` is the whole program (read at run time). */
export function completionCommand(program: () => Command): Command {
  return new Command('completion')
    .description('Print a shell completion script: source <(cattail completion bash)')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh']))
    .action((shell: string) => {
      const p = program()
      process.stdout.write(shell === 'zsh' ? zshCompletion(p) : bashCompletion(p))
    })
}
