#!/bin/sh
# Runs a command and checks both its exit code and its output: expect_exit.sh RC REGEX COMMAND [ARG...]
want_rc=$1
pattern=$2
shift 2
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
status=0
if [ "$rc" -eq "$want_rc" ]; then
    echo "OK exit code $rc"
else
    echo "NOT OK exit code $rc, expected $want_rc"
    status=1
fi
if printf '%s\n' "$out" | grep -Eq -- "$pattern"; then
    echo "OK output matches /$pattern/"
else
    echo "NOT OK output does not match /$pattern/"
    status=1
fi
exit $status
