#!/bin/sh
# aegis: this file is a shell stub followed by a jar; the JVM reads the jar and ignores the stub.
# JAVA_OPTS passes JVM options (-Xmx64m ...); JAVA_HOME picks the JVM, else `java` on the PATH.
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" $JAVA_OPTS -jar "$0" "$@"
