package io.aegis.core.internal;

import io.aegis.api.ActionOutcome;
import io.aegis.api.Alert;
import io.aegis.api.CheckResult;
import io.aegis.api.Notification;
import io.aegis.api.RecoveryContext;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;

/**
 * Puts a {@link Redactor} between the engine and a plugin (recovery action, notifier), so that what a
 * plugin reports never carries a secret into the engine's logs, events, snapshots and alerts, and what the
 * engine hands a notifier never carries one out:
 * <ul>
 *   <li>an {@link Alert} argument, and every alert of a {@link Notification} argument, is redacted before the
 *       plugin sees it;
 *   <li>a {@link RecoveryContext} argument is itself redacting, so an alert an action raises through it is
 *       redacted before the engine logs and delivers it;
 *   <li>a returned {@link CheckResult} or {@link ActionOutcome}, directly or in a {@link CompletionStage}, is
 *       redacted;
 *   <li>a failure, thrown or in the stage, whose message holds a secret becomes a
 *       {@link Redactor.RedactedException} (a {@link io.aegis.api.DeliveryException} stays one, of the same kind).
 * </ul>
 *
 * <p>Checkers are not wrapped: their results are redacted by the monitor once per attempt ({@link MonitorContext}),
 * which keeps reflection and extra stages off the check's hot path. A dynamic proxy rather than one wrapper
 * class per SPI on purpose: every method, including {@code default}
 * methods added to the SPI later (and ones this class does not know), still reaches the plugin's own
 * implementation. Cancelling a returned stage cancels the plugin's stage, as the engine's deadlines expect.
 */
public final class RedactingPlugins {
    private RedactingPlugins() {
    }

    /** {@code plugin} seen through {@code redactor}; null stays null. */
    public static <T> T wrap(Class<T> spi, T plugin, Redactor redactor) {
        if (plugin == null) {
            return null;
        }
        Object proxy = Proxy.newProxyInstance(spi.getClassLoader(), new Class<?>[] {spi},
                new Handler(plugin, redactor));
        return spi.cast(proxy);
    }

    private record Handler(Object plugin, Redactor redactor) implements InvocationHandler {
        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> redactor.redact(String.valueOf(plugin)); // toString
                };
            }
            Object[] arguments = args == null ? null : args.clone();
            if (arguments != null) {
                for (int i = 0; i < arguments.length; i++) {
                    if (arguments[i] instanceof Alert) {
                        arguments[i] = redactor.redact((Alert) arguments[i]);
                    } else if (arguments[i] instanceof Notification) {
                        arguments[i] = redactor.redact((Notification) arguments[i]);
                    } else if (arguments[i] instanceof RecoveryContext) {
                        arguments[i] = wrap(RecoveryContext.class, (RecoveryContext) arguments[i], redactor);
                    }
                }
            }
            Object value;
            try {
                value = method.invoke(plugin, arguments);
            } catch (InvocationTargetException e) {
                Throwable thrown = e.getCause();
                Throwable redacted = redactor.redact(thrown);
                throw redacted == thrown || thrown instanceof Error ? thrown : redacted;
            }
            if (value instanceof CompletionStage) {
                return redactStage((CompletionStage<?>) value);
            }
            return redactValue(value);
        }

        private CompletionStage<Object> redactStage(CompletionStage<?> stage) {
            CompletableFuture<Object> redacted = new CompletableFuture<>();
            stage.whenComplete((value, error) -> {
                if (error != null) {
                    redacted.completeExceptionally(redactor.redact(Deadlines.unwrap(error)));
                } else {
                    try {
                        redacted.complete(redactValue(value));
                    } catch (RuntimeException e) {
                        redacted.completeExceptionally(e);
                    }
                }
            });
            redacted.whenComplete((value, error) -> {
                if (redacted.isCancelled() && stage instanceof Future) {
                    ((Future<?>) stage).cancel(true);
                }
            });
            return redacted;
        }

        private Object redactValue(Object value) {
            if (value instanceof CheckResult) {
                return redactor.redact((CheckResult) value);
            }
            if (value instanceof ActionOutcome) {
                return redactor.redact((ActionOutcome) value);
            }
            return value;
        }
    }
}
