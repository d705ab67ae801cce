#!/bin/sh
# A rollback step that floods its output (about 20 MB, some lines very long).
i=0
while [ $i -lt 2000 ]; do
  head -c 10000 /dev/zero | tr '\0' 'x'
  echo " line $i"
  i=$((i + 1))
done
echo "flood done"
