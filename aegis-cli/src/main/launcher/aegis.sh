#!/bin/sh
# aegis: this file is a shell stub followed by a jar; the JVM reads the jar and ignores the stub.
# JAVA_HOME picks the JVM, else `java` on the PATH. JAVA_OPTS passes JVM options (-Xmx64m ...); they come after
# the stub's own (the class-data-sharing archive), so they override them; -XX:+UseSerialGC is added only when
# JAVA_OPTS (or JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS) chooses no collector.
# Class-data sharing: on JDK 17 an archive of aegis' classes is bound to this JVM build and to this file (path, size,
# mtime), so it is made here, not at build time. When there is none, a plain start also runs `aegis --cds-train`
# once in the background (niced, a few seconds, then it exits), which writes it into
# ${AEGIS_CDS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/aegis/cds}/<key>.jsa; later starts map it. `aegis --cds-train`
# run by hand (an image build, a package's post-install) makes it in the foreground. An archive that does not fit
# is ignored quietly. A damaged one made the JVM crash, so its checksums are verified (-XX:+VerifySharedSpaces) by the
# training right after it is written, and the <key>.verified stamp then gets the archive's exact modification time.
# A start maps the archive only while both times are equal (verifying at every start cost 0.03-0.3 s of CPU, reading
# all of it). An archive whose time differs (changed, touched, restored from a copy older or newer) is not mapped:
# that start runs without it and trains a new one in the background, as for a missing one. (Verifying it at that
# start instead let a damaged archive whose time fell between the file's and the stamp's crash every start: hostile
# F2.) Damage that keeps the exact time (bit rot) is not caught: delete <key>.verified to have it made again.
# One not owned by this user is not used. AEGIS_CDS=off: neither. No writable cache directory: no archive, and nothing else changes.
# AEGIS_CDS_NICE: the background training's niceness (default 19; the tests use 0 on a loaded machine).
# The distribution's bin/aegis (aegis-<version>/bin/aegis, made by aegis-dist) has this set to the folder of the Java
# runtime it ships, beside bin/: it runs that runtime, whatever JAVA_HOME and the PATH say, neither of which it changes
# (the services aegis starts see them as given). Empty here: the JVM of JAVA_HOME, else `java` on the PATH.
bundled_runtime=
case $0 in
  /*) jar=$0 ;;
  *) jar=$PWD/${0#./} ;; # the archive records the jar's path as given: always the same absolute one
esac
if [ -n "$bundled_runtime" ]; then
  # Through a symbolic link (/usr/local/bin/aegis -> /opt/aegis-<version>/bin/aegis) to the folder it is in.
  self=$(readlink -f "$jar" 2>/dev/null) || self=$jar
  jhome=${self%/*/*}/$bundled_runtime
  java=$jhome/bin/java
  if [ ! -x "$java" ]; then
    echo "aegis: the Java runtime this aegis ships is missing: no $java (unpack the whole aegis-<version> folder and" \
      "keep bin/ and $bundled_runtime/ side by side)" >&2
    exit 1
  fi
else
  java=${JAVA_HOME:+$JAVA_HOME/bin/}java
fi

# Makes the archive: a training start under -XX:ArchiveClassesAtExit, then an atomic rename (two trainings at once
# each rename a whole archive; a start maps a whole one or none). Exit status 0 when the archive is in place.
train() {
  tmp=$cds/$key.$$.tmp
  trap 'rm -f "$tmp"' EXIT
  trap 'exit 143' HUP INT TERM
  $nice "$java" $gc "-XX:ArchiveClassesAtExit=$tmp" -XX:+VerifySharedSpaces -Xlog:cds=off -Xlog:cds+dynamic=off \
    $JAVA_OPTS -jar "$jar" --cds-train
  status=$?
  # Maps it once with its checksums verified (-Xshare:on: fails unless it was mapped), before it is renamed into
  # place with the stamp already there, carrying the file's modification time (mv keeps it): starts map it unverified
  # while the two times are equal.
  if [ "$status" = 0 ] && [ -s "$tmp" ] \
      && $nice "$java" $gc -Xshare:on "-XX:SharedArchiveFile=$tmp" -XX:+VerifySharedSpaces -Xlog:cds=off \
        -Xlog:cds+dynamic=off $JAVA_OPTS -cp "$jar" -version >/dev/null 2>&1 \
      && touch -r "$tmp" "$cds/$key.verified"; then
    if mv -f "$tmp" "$archive"; then
      # Archives of former versions go after 30 days (one still in use is simply made again), and what a training
      # killed by SIGKILL left after a day.
      find "$cds" \( -name 'aegis-*.tmp' -mtime +0 -o -name 'aegis-*' ! -name "$key.*" -mtime +30 \) \
        -exec rm -f {} + 2>/dev/null
      return 0
    fi
    rm -f "$cds/$key.verified"
  fi
  if [ "$status" != 0 ] && [ "$status" -lt 128 ]; then
    : > "$cds/$key.failed" # this JVM cannot make one (no base archive...): do not try again at every start
  fi
  # (a training that worked but whose archive failed its verification, or was killed, is tried again next start)
  return 1
}

# SerialGC (a small-heap daemon: no G1 threads competing for the cores at start) unless the user chose a collector:
# the JVM refuses two, so "JAVA_OPTS after ours" cannot override this one.
case "$JAVA_OPTS $JAVA_TOOL_OPTIONS $JDK_JAVA_OPTIONS" in
  *-XX:+Use*GC*) gc= ;;
  *) gc=-XX:+UseSerialGC ;;
esac

archive=
if [ "$AEGIS_CDS" = off ] && [ "$*" = --cds-train ]; then
  # Not an error (off is a setting, and an image built with it set should still build), but not silent either.
  echo "aegis: AEGIS_CDS=off: no class-data-sharing archive made (starts would not use it); unset AEGIS_CDS to make one" >&2
  exit 0
fi
if [ "$AEGIS_CDS" != off ]; then
  if [ -n "$AEGIS_CDS_DIR" ]; then cds=$AEGIS_CDS_DIR
  elif [ -n "$XDG_CACHE_HOME" ]; then cds=$XDG_CACHE_HOME/aegis/cds
  elif [ -n "$HOME" ]; then cds=$HOME/.cache/aegis/cds
  else cds=
  fi
  if [ -z "$cds" ] && [ "$*" = --cds-train ]; then
    echo "aegis: no directory for the class-data-sharing archive: set AEGIS_CDS_DIR, XDG_CACHE_HOME or HOME" >&2
    exit 1
  fi
  if [ -n "$cds" ]; then
    if [ -n "$bundled_runtime" ]; then :
    elif [ -n "$JAVA_HOME" ]; then jhome=$JAVA_HOME
    else jhome=$(readlink -f "$(command -v java)" 2>/dev/null) && jhome=${jhome%/bin/java}
    fi
    # The key: this JVM (its home, and its modules file, replaced by an update) and this file (path, size, mtime).
    # stat's seconds, not ls' date: `ls -l` prints the time in the local time zone, and the year instead once a file
    # is six months old, so the key changed with TZ (an image whose archive was made at build time, run with -e TZ)
    # and once more half a year after the release. ls where stat has no -c.
    sum=$(printf '%s\n' "$jhome" "$jar" "$( (stat -L -c '%n %s %Y' "$jar" "$jhome/lib/modules" \
      || ls -lLn "$jar" "$jhome/lib/modules") 2>/dev/null)" | cksum 2>/dev/null)
    key=aegis-${sum%% *}-${sum##* }
    if [ -z "$sum" ]; then
      # No cksum: a PATH that names none of the usual folders. No archive, and nothing else changes.
      if [ "$*" = --cds-train ]; then
        echo "aegis: cksum is not on the PATH ($PATH): no class-data-sharing archive made" >&2
        exit 1
      fi
      cds=
    fi
  fi
  if [ -n "$cds" ]; then
    archive=$cds/$key.jsa
    if [ "$*" = --cds-train ]; then
      mkdir -p "$cds" || exit 1
      rm -f "$cds/$key.failed"
      nice=
      if train; then echo "aegis: class-data-sharing archive written: $archive" >&2; exit 0; fi
      echo "aegis: could not write a class-data-sharing archive into $cds" >&2
      exit 1
    fi
    # Newer than the file (not one left from a rebuild in the same minute), ours, writable by its owner only (the
    # archive is code the JVM runs), and exactly as verified: its stamp has the same modification time (neither is
    # newer than the other). Both found: two lines.
    stamp=$cds/$key.verified
    uid=$(id -u 2>/dev/null)
    trusted=$(find "$archive" "$stamp" \( -name "$key.jsa" -newer "$jar" -user "$uid" ! -perm -020 ! -perm -002 \
      ! -newer "$stamp" -print \) -o \( -name "$key.verified" -user "$uid" ! -newer "$archive" -print \) 2>/dev/null)
    case $trusted in
      *"
"*) ;;
      *) trusted= ;;
    esac
    if [ -z "$trusted" ]; then
      plain=yes
      for arg; do
        case $arg in -h|--help|-V|--version|--validate) plain= ;; esac
      done
      if [ -n "$plain" ] && [ ! -e "$cds/$key.failed" ] && mkdir -p "$cds" 2>/dev/null && [ -w "$cds" ]; then
        nice="nice -n ${AEGIS_CDS_NICE:-19}" # lowest priority: the start it runs beside comes first
        # Forked twice: the shell becomes the JVM (exec) and the JVM never waits for children it did not start, so a
        # training left as its child stayed a <defunct> process once it ended (hostile F6). Orphaned, init reaps it.
        ( (train) </dev/null >/dev/null 2>&1 & )
      fi
      archive=
    fi
  fi
fi
exec "$java" $gc \
  ${archive:+"-XX:SharedArchiveFile=$archive"} \
  ${archive:+-Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off} \
  $JAVA_OPTS -jar "$jar" "$@"
