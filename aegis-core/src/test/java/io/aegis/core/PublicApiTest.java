package io.aegis.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.core.event.ServiceEvent;
import io.aegis.core.internal.EventBus;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What an embedder may use is {@code io.aegis.core} and {@code io.aegis.core.event}; the machinery in
 * {@code io.aegis.core.internal.*} must not be reachable through them: no public or protected signature of a
 * public type there names an internal type.
 */
class PublicApiTest {
    private static final String INTERNAL = "io.aegis.core.internal";

    @Test
    void noPublicSignatureOfTheEmbedderPackagesNamesAnInternalType() throws Exception {
        List<Class<?>> api = new ArrayList<>(classesOf(Engine.class));
        api.addAll(classesOf(ServiceEvent.class));
        assertThat(api).as("public API types found").contains(Engine.class, Engine.Builder.class,
                ServiceDefinition.Builder.class, io.aegis.core.event.AlertFired.class);

        Set<String> leaks = new TreeSet<>();
        api.forEach(type -> leaks.addAll(internalTypesExposedBy(type)));

        assertThat(leaks).as("public signatures naming io.aegis.core.internal types").isEmpty();
    }

    @Test
    void theCheckFindsAnInternalTypeWhereverASignatureNamesIt() {
        assertThat(internalTypesExposedBy(Leaky.class)).containsExactlyInAnyOrder(
                "PublicApiTest$Leaky.bus: io.aegis.core.internal.EventBus",
                "PublicApiTest$Leaky.buses(): java.util.List<io.aegis.core.internal.EventBus>",
                "PublicApiTest$Leaky.take(..): java.util.function.Consumer<? super io.aegis.core.internal.EventBus>",
                "PublicApiTest$Leaky(..): io.aegis.core.internal.EventBus");
    }

    /** Every public type (top-level or nested) of the package of {@code anchor}, from its class files. */
    private static List<Class<?>> classesOf(Class<?> anchor) throws IOException, URISyntaxException,
            ClassNotFoundException {
        String packageName = anchor.getPackageName();
        Path directory = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve(packageName.replace('.', '/'));
        List<Class<?>> classes = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).sorted().toList()) {
                String simple = file.getFileName().toString().replace(".class", "");
                Class<?> type = Class.forName(packageName + '.' + simple, false, anchor.getClassLoader());
                if (isVisibleToEmbedders(type)) {
                    classes.add(type);
                }
            }
        }
        return classes;
    }

    private static boolean isVisibleToEmbedders(Class<?> type) {
        for (Class<?> c = type; c != null; c = c.getDeclaringClass()) {
            if (!Modifier.isPublic(c.getModifiers()) || c.isAnonymousClass() || c.isSynthetic()) {
                return false;
            }
        }
        return true;
    }

    private static List<String> internalTypesExposedBy(Class<?> type) {
        List<String> leaks = new ArrayList<>();
        String owner = type.getName().substring(type.getPackageName().length() + 1);
        check(owner + " extends", type.getGenericSuperclass(), leaks);
        for (Type implemented : type.getGenericInterfaces()) {
            check(owner + " implements", implemented, leaks);
        }
        for (Field field : type.getDeclaredFields()) {
            if (exposed(field)) {
                check(owner + "." + field.getName(), field.getGenericType(), leaks);
            }
        }
        for (Method method : type.getDeclaredMethods()) {
            if (exposed(method) && !method.isSynthetic() && !method.isBridge()) {
                check(owner + "." + method.getName() + "()", method.getGenericReturnType(), leaks);
                checkParametersAndThrows(owner + "." + method.getName() + "(..)", method, leaks);
            }
        }
        for (Constructor<?> constructor : type.getDeclaredConstructors()) {
            if (exposed(constructor)) {
                checkParametersAndThrows(owner + "(..)", constructor, leaks);
            }
        }
        return leaks;
    }

    private static boolean exposed(Member member) {
        return Modifier.isPublic(member.getModifiers()) || Modifier.isProtected(member.getModifiers());
    }

    private static void checkParametersAndThrows(String where, Executable executable, List<String> leaks) {
        for (Type parameter : executable.getGenericParameterTypes()) {
            check(where, parameter, leaks);
        }
        for (Type thrown : executable.getGenericExceptionTypes()) {
            check(where, thrown, leaks);
        }
        for (TypeVariable<?> variable : executable.getTypeParameters()) {
            for (Type bound : variable.getBounds()) {
                check(where, bound, leaks);
            }
        }
    }

    private static void check(String where, Type type, List<String> leaks) {
        if (type != null && namesInternalType(type, new ArrayList<>())) {
            leaks.add(where + ": " + type.getTypeName());
        }
    }

    private static boolean namesInternalType(Type type, List<Type> seen) {
        if (seen.contains(type)) {
            return false; // a recursive bound such as E extends Comparable<E>
        }
        seen.add(type);
        if (type instanceof Class<?> c) {
            Class<?> element = c;
            while (element.isArray()) {
                element = element.getComponentType();
            }
            return element.getPackageName().startsWith(INTERNAL);
        }
        if (type instanceof ParameterizedType p) {
            if (namesInternalType(p.getRawType(), seen)) {
                return true;
            }
            for (Type argument : p.getActualTypeArguments()) {
                if (namesInternalType(argument, seen)) {
                    return true;
                }
            }
            return false;
        }
        if (type instanceof WildcardType w) {
            return Stream.concat(Stream.of(w.getUpperBounds()), Stream.of(w.getLowerBounds()))
                    .anyMatch(bound -> namesInternalType(bound, seen));
        }
        if (type instanceof GenericArrayType a) {
            return namesInternalType(a.getGenericComponentType(), seen);
        }
        if (type instanceof TypeVariable<?> v) {
            return Stream.of(v.getBounds()).anyMatch(bound -> namesInternalType(bound, seen));
        }
        return false;
    }

    /** A type that leaks an internal type in every way the check looks at; private members are fine. */
    public static final class Leaky {
        public EventBus bus;
        private EventBus hidden;

        public Leaky(EventBus bus) {
            this.bus = bus;
            this.hidden = bus;
        }

        public List<EventBus> buses() {
            return List.of(hidden);
        }

        public void take(java.util.function.Consumer<? super EventBus> consumer) {
            consumer.accept(bus);
        }

        private EventBus own() {
            return hidden;
        }
    }
}
