package io.aegis.api.signatures;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The public signatures of a module's API packages as text, one line per type and member, sorted: what a plugin or
 * an embedding application compiles against. A test compares it with the file checked in beside the module
 * ({@code api/<module>.api}), so that every change to the API shows in review as a change to that file (as Kotlin's
 * binary-compatibility-validator and Android's metalava do). {@code -Daegis.api.update=true} rewrites the file.
 */
public final class ApiSignatures {
    /** The property that rewrites the checked-in file instead of comparing with it. */
    public static final String UPDATE = "aegis.api.update";

    private ApiSignatures() {
    }

    /**
     * The signatures of every public type in {@code packages} (not their sub-packages) found in {@code classes}
     * (a module's {@code target/classes}), with their public and protected members.
     */
    public static String of(Path classes, List<String> packages) {
        List<String> types = new ArrayList<>();
        for (String pkg : packages) {
            Path dir = classes.resolve(pkg.replace('.', '/'));
            try (Stream<Path> files = Files.list(dir)) {
                files.map(file -> file.getFileName().toString())
                        .filter(name -> name.endsWith(".class") && !name.equals("package-info.class"))
                        .map(name -> pkg + "." + name.substring(0, name.length() - ".class".length()))
                        .sorted()
                        .forEach(types::add);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + dir, e);
            }
        }
        StringBuilder text = new StringBuilder();
        for (String name : types) {
            Class<?> type;
            try {
                type = Class.forName(name, false, ApiSignatures.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(name + " is in " + classes + " but not on the class path", e);
            }
            if (!visible(type)) {
                continue;
            }
            text.append(describe(type)).append('\n');
            members(type).forEach(member -> text.append("  ").append(member).append('\n'));
            text.append('\n');
        }
        return text.toString();
    }

    /** Public, and every enclosing type public too (a public nested type of a package-private one is not API). */
    private static boolean visible(Class<?> type) {
        for (Class<?> t = type; t != null; t = t.getEnclosingClass()) {
            if (!Modifier.isPublic(t.getModifiers()) || t.isAnonymousClass() || t.isLocalClass() || t.isSynthetic()) {
                return false;
            }
        }
        return true;
    }

    private static String describe(Class<?> type) {
        String kind = type.isAnnotation() ? "@interface" : type.isInterface() ? "interface" : type.isEnum() ? "enum"
                : type.isRecord() ? "record" : "class";
        int modifiers = type.getModifiers() & (Modifier.PUBLIC | Modifier.STATIC | Modifier.FINAL
                | (type.isInterface() ? 0 : Modifier.ABSTRACT));
        if (type.isEnum() || type.isRecord()) {
            modifiers &= ~(Modifier.FINAL | Modifier.STATIC); // implied
        }
        StringBuilder line = new StringBuilder(Modifier.toString(modifiers)).append(' ').append(kind).append(' ')
                .append(type.getName().replace('$', '.'));
        if (type.getGenericSuperclass() != null && type.getSuperclass() != Object.class && !type.isEnum()
                && !type.isRecord()) {
            line.append(" extends ").append(type.getGenericSuperclass().getTypeName().replace('$', '.'));
        }
        if (type.getGenericInterfaces().length > 0) {
            line.append(type.isInterface() ? " extends " : " implements ");
            List<String> interfaces = new ArrayList<>();
            for (var each : type.getGenericInterfaces()) {
                interfaces.add(each.getTypeName().replace('$', '.'));
            }
            line.append(String.join(", ", interfaces));
        }
        if (type.isSealed()) {
            List<String> permitted = new ArrayList<>();
            for (Class<?> each : type.getPermittedSubclasses()) {
                permitted.add(each.getName().replace('$', '.'));
            }
            line.append(" permits ").append(String.join(", ", permitted.stream().sorted().toList()));
        }
        return line.toString();
    }

    private static List<String> members(Class<?> type) {
        List<String> members = new ArrayList<>();
        for (Field field : type.getDeclaredFields()) {
            if (exposed(field.getModifiers()) && !field.isSynthetic()) {
                members.add(field.isEnumConstant() ? "constant " + field.getName() : field.toGenericString());
            }
        }
        for (Constructor<?> constructor : type.getDeclaredConstructors()) {
            if (exposed(constructor.getModifiers()) && !constructor.isSynthetic() && !type.isEnum()) {
                members.add(constructor.toGenericString());
            }
        }
        for (Method method : type.getDeclaredMethods()) {
            if (exposed(method.getModifiers()) && !method.isSynthetic() && !method.isBridge()) {
                members.add(method.toGenericString());
            }
        }
        for (Class<?> nested : type.getDeclaredClasses()) {
            if (visible(nested)) {
                members.add("nested " + nested.getName().replace('$', '.'));
            }
        }
        return members.stream().map(member -> member.replace('$', '.')).sorted().toList();
    }

    private static boolean exposed(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    /**
     * Compares {@code actual} with {@code file}; returns null when equal (or after rewriting the file when
     * {@code update}, from {@link #UPDATE}), else a message with the lines removed and added and how to accept them.
     */
    public static String compare(String actual, Path file, String module, boolean update) {
        if (update) {
            try {
                Files.createDirectories(file.getParent());
                Files.writeString(file, actual, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return null;
        }
        String expected;
        try {
            expected = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (expected.equals(actual)) {
            return null;
        }
        List<String> before = expected.lines().filter(l -> !l.isBlank()).toList();
        List<String> after = actual.lines().filter(l -> !l.isBlank()).toList();
        StringBuilder message = new StringBuilder("the public API of " + module + " changed; every change to it must"
                + " be deliberate:\n");
        before.stream().filter(line -> !after.contains(line)).forEach(line -> message.append("- ").append(line)
                .append('\n'));
        after.stream().filter(line -> !before.contains(line)).forEach(line -> message.append("+ ").append(line)
                .append('\n'));
        message.append("If it is meant (and plugins built against the old one still load, or the release notes say"
                + " why not), accept it: mvn -pl ").append(module).append(" test -Dtest=*ApiSignaturesTest -D")
                .append(UPDATE).append("=true, and commit ").append(file.getFileName()).append(" with the change.");
        return message.toString();
    }
}
