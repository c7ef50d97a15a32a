#!/bin/sh
# Helpdesk @VERSION@ for Linux, as one file: this script, then the program (one folder) as a tar.gz.
# The first start on an account unpacks the program into the user's cache folder
# (~/.cache/helpdesk/@KEY@, owner-only); every later start runs it from there at once,
# where a self-unpacking program would unpack ~160 MB again on every start.
# Delete that folder at any time: the next start unpacks it again.
set -u
key='@KEY@'
offset=@OFFSET@
case $0 in /*) self=$0 ;; *) self=$PWD/$0 ;; esac
# The program starts itself at login from this file (its own folder may be a temporary one).
HELPDESK_ONE_FILE=$self
export HELPDESK_ONE_FILE

unpack() {  # into the empty folder $1
    tail -c +"$offset" "$self" | tar -xzf - -C "$1"
}

in_use() {  # is a program in folder $1 running now (this user's processes)?
    for exe in /proc/[0-9]*/exe; do
        case $(readlink "$exe" 2>/dev/null) in "$1"/*) return 0 ;; esac
    done
    return 1
}

cache=${XDG_CACHE_HOME:-${HOME:-}/.cache}
case $cache in /*) cache=$cache/helpdesk ;; *) cache= ;; esac  # relative or no home: no cache
if [ -n "$cache" ] && [ ! -x "$cache/$key/helpdesk" ]; then
    if (umask 077 && mkdir -p "$cache") 2>/dev/null && new=$(mktemp -d "$cache/.unpacking-XXXXXX" 2>/dev/null); then
        # Unpacked aside, then renamed: a folder under its final name is complete. Two first
        # starts at once each unpack; the first rename wins and the other uses its folder.
        if unpack "$new"; then
            if [ -d "$cache/$key" ] && [ ! -x "$cache/$key/helpdesk" ]; then
                rm -rf "$cache/$key"  # damaged (a file deleted by hand): replaced whole
            fi
            mv -T "$new" "$cache/$key" 2>/dev/null || rm -rf "$new"
            for old in "$cache"/*; do  # other builds' folders, unless one of them is running
                if [ "$old" != "$cache/$key" ] && [ -d "$old" ] && ! in_use "$old"; then rm -rf "$old"; fi
            done
            find "$cache" -maxdepth 1 -name '.unpacking-*' -mmin +60 -exec rm -rf {} + 2>/dev/null
        else
            rm -rf "$new"
            echo "helpdesk: could not unpack into $cache; is the disk full?" >&2
        fi
    fi
fi
if [ -n "$cache" ] && [ -x "$cache/$key/helpdesk" ]; then
    exec "$cache/$key/helpdesk" "$@"
fi

# No cache folder to write to: unpack for this run only, into a temporary folder removed after.
run=$(mktemp -d "${TMPDIR:-/tmp}/helpdesk-XXXXXX") || {
    echo "helpdesk: no folder to unpack into (neither the cache nor the temporary folder is writable)" >&2
    exit 1
}
trap 'rm -rf "$run"' EXIT
unpack "$run" || { echo "helpdesk: could not unpack into $run; is the disk full?" >&2; exit 1; }
child=
trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
"$run/helpdesk" "$@" <&0 &
child=$!
status=0
wait "$child" || status=$?
while kill -0 "$child" 2>/dev/null; do  # a trapped signal ended the wait, not the program
    status=0
    wait "$child" || status=$?
done
exit "$status"
