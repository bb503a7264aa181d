# SPDX-License-Identifier: MIT
# completions/ivp.bash - bash completion for ivp (installed as
# share/bash-completion/completions/ivp; or: source completions/ivp.bash).
#
# The commands, each command's options and the method names are read from ivp's own help
# (`ivp --help`, `ivp CMD --help`, the "methods" section of `ivp run --help`), once per shell,
# so they follow the installed version. Files: *.json specs after run/validate, *.c after
# build, *.h5 after the commands that read results, per option where it takes a file.

# Prints the lines of a help text between the line "HEADER" and the next blank line.
_ivp_help_section()
{
    local header=$1
    awk -v h="$header" '$0 == h { on = 1; next } on && /^$/ { exit } on { print }'
}

# The commands ivp lists, plus "help".
_ivp_commands()
{
    if [[ -z ${_ivp_cache_commands-} ]]; then
        _ivp_cache_commands="$("$1" --help 2>/dev/null | _ivp_help_section "commands:" |
            awk '{ print $1 }') help"
    fi
    printf '%s\n' "$_ivp_cache_commands"
}

# The options in a command's help: the "  -o, --output FILE   ..." lines of its options section
# (two spaces, then the option; continuation lines are indented further).
_ivp_options()
{
    local ivp=$1 cmd=$2 var
    var="_ivp_cache_opts_${cmd//[^A-Za-z0-9_]/_}"
    if [[ -z ${!var-} ]]; then
        printf -v "$var" '%s' "$("$ivp" "$cmd" --help 2>/dev/null | _ivp_help_section "options:" |
            grep -oE '^  -[-A-Za-z0-9]+(, --[-A-Za-z0-9]+)?' | tr ',' '\n' | tr -d ' ' |
            awk '!seen[$0]++')"
    fi
    printf '%s\n' "${!var}"
}

# The method names from `ivp run --help`.
_ivp_methods()
{
    if [[ -z ${_ivp_cache_methods-} ]]; then
        _ivp_cache_methods="$("$1" run --help 2>/dev/null |
            _ivp_help_section "methods (case-insensitive):" | awk '{ print $1 }')"
    fi
    printf '%s\n' "$_ivp_cache_methods"
}

# Files matching one of the glob patterns given, and directories (to walk into).
_ivp_files()
{
    local cur=$1 pat
    shift
    compopt -o filenames 2>/dev/null
    for pat in "$@"; do
        compgen -f -X "!$pat" -- "$cur"
    done
    compgen -d -- "$cur"
}

_ivp()
{
    local cur prev ivp cmd
    COMPREPLY=()
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=""
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    ivp=${COMP_WORDS[0]}
    ivp=${ivp/#\~/$HOME}
    command -v "$ivp" >/dev/null 2>&1 || ivp=ivp

    if ((COMP_CWORD == 1)); then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "--help --version" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$(_ivp_commands "$ivp")" -- "$cur")
        fi
        return 0
    fi
    cmd=${COMP_WORDS[1]}

    if [[ $cmd == help ]]; then
        ((COMP_CWORD == 2)) &&
            mapfile -t COMPREPLY < <(compgen -W "$(_ivp_commands "$ivp")" -- "$cur")
        return 0
    fi

    # the value of an option
    case $prev in
    --method)
        mapfile -t COMPREPLY < <(compgen -W "$(_ivp_methods "$ivp")" -- "$cur")
        return 0
        ;;
    -o | --output)
        case $cmd in
        build) mapfile -t COMPREPLY < <(_ivp_files "$cur" '*.so') ;;
        plot) mapfile -t COMPREPLY < <(_ivp_files "$cur" '*.svg' '*.png') ;;
        *) mapfile -t COMPREPLY < <(_ivp_files "$cur" '*.h5') ;;
        esac
        return 0
        ;;
    --members)
        mapfile -t COMPREPLY < <(_ivp_files "$cur" '*.csv' '*.ndjson' '*.jsonl')
        return 0
        ;;
    --t-file)
        mapfile -t COMPREPLY < <(_ivp_files "$cur" '*')
        return 0
        ;;
    --set | --rtol | --atol | -j | --jobs | --t | --member | --components | --phase | --shard)
        return 0 # a value: nothing to offer
        ;;
    --format)
        mapfile -t COMPREPLY < <(compgen -W "csv tsv ndjson" -- "$cur")
        return 0
        ;;
    esac

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_ivp_options "$ivp" "$cmd")" -- "$cur")
        return 0
    fi

    # positional arguments
    case $cmd in
    run | validate) mapfile -t COMPREPLY < <(_ivp_files "$cur" '*.json') ;;
    build) mapfile -t COMPREPLY < <(_ivp_files "$cur" '*.c') ;;
    *) mapfile -t COMPREPLY < <(_ivp_files "$cur" '*.h5') ;;
    esac
    return 0
}

complete -F _ivp ivp
