package io.aegis.testkit;

import io.aegis.api.Alert;
import io.aegis.api.ConfigException;
import io.aegis.api.Notification;
import io.aegis.api.Notifier;
import io.aegis.api.NotifierFactory;
import io.aegis.api.NotifierSpec;
import io.aegis.api.Settings;
import io.aegis.api.Severity;
import io.aegis.testkit.internal.Calls;
import io.aegis.testkit.internal.Leaks;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The rules of {@link Notifier} and {@link NotifierFactory}, as tests, for a notifier that delivers over HTTP.
 * Extend it and say how to point your notifier at a receiver; the kit supplies a real one on loopback, a server
 * that never answers, and a port where nothing listens:
 *
 * <pre>{@code
 * class ChatNotifierContractTest extends NotifierContract {
 *     protected NotifierFactory factory() { return new ChatNotifierFactory(); }
 *
 *     protected Settings receiverAt(URI receiver) {
 *         return Settings.of("notifications.chat", Map.of("url", receiver.toString(), "timeout", "1s"));
 *     }
 * }
 * }</pre>
 *
 * Set your notifier's own timeout in those settings to {@link #deliveryLimit()} or less (1 s is good): the kit
 * waits that long for a delivery to a receiver that never answers.
 */
public abstract class NotifierContract {
    private final Calls calls = new Calls();

    /** {@return a new instance of the factory under test, as {@link ServiceLoader} would make it} */
    protected abstract NotifierFactory factory();

    /**
     * Settings that make the notifier deliver to {@code receiver} ({@code http://127.0.0.1:<port>/...}).
     *
     * @param receiver where to deliver: the kit's loopback receiver, a server that never answers, or a port where
     *     nothing listens
     * @return the notifier's settings, with its own timeout at {@link #deliveryLimit()} or less
     */
    protected abstract Settings receiverAt(URI receiver);

    /**
     * Settings with one mistake each, and the key path the factory's {@link ConfigException} must name.
     *
     * @return the mistakes, each tried with a factory of its own; none by default, which skips the test
     */
    protected List<Misconfiguration<Settings>> misconfigurations() {
        return List.of();
    }

    /** {@return how long {@code deliver()} may take to return its stage; by default 250 ms} */
    protected Duration callerBudget() {
        return Duration.ofMillis(250);
    }

    /** {@return how long a delivery may take to complete, whatever the receiver does: 10 s by default} */
    protected Duration deliveryLimit() {
        return Duration.ofSeconds(10);
    }

    /** {@return time for threads to end after close: 2 s by default} */
    protected Duration grace() {
        return Duration.ofSeconds(2);
    }

    @AfterEach
    void endTheKitsThreads() {
        calls.close();
    }

    @Test
    void typeIsAName() {
        try (NotifierFactory factory = factory()) {
            String type = factory.type();
            ContractViolation.check(type != null && type.matches("[a-z0-9][a-z0-9._-]*"),
                    ContractRule.TYPE_IS_A_NAME, factory.getClass().getName() + ".type() is \"" + type + "\"");
        }
    }

    @Test
    void factoryIsRegisteredForServiceLoader() {
        try (NotifierFactory factory = factory()) {
            Class<?> type = factory.getClass();
            boolean found = ServiceLoader.load(NotifierFactory.class, type.getClassLoader()).stream()
                    .anyMatch(provider -> provider.type() == type);
            ContractViolation.check(found, ContractRule.REGISTERED_FOR_SERVICE_LOADER, "ServiceLoader finds no "
                    + NotifierFactory.class.getName() + " of class " + type.getName() + ": add that line to "
                    + "META-INF/services/" + NotifierFactory.class.getName());
        }
    }

    @Test
    void aDeliveryReachesTheReceiver() throws Exception {
        try (LoopbackHttpServer receiver = LoopbackHttpServer.start();
                NotifierFactory factory = factory();
                Notifier notifier = factory.create(spec(receiverAt(receiver.uri("/alerts"))))) {
            Calls.Outcome<Void> outcome = deliver(notifier);
            if (outcome.failed()) {
                throw new ContractViolation(ContractRule.UNDELIVERED_IS_AN_ERROR, "a delivery to a receiver that"
                        + " answers 200 failed with " + outcome.failure(), outcome.failure());
            }
            ContractViolation.check(!receiver.requests().isEmpty(), ContractRule.UNDELIVERED_IS_AN_ERROR,
                    "the delivery completed normally, but the receiver got no request");
        }
    }

    @Test
    void aDeliveryToNobodyFails() throws Exception {
        InetSocketAddress nobody = StalledServer.refusedAddress();
        try (NotifierFactory factory = factory();
                Notifier notifier = factory.create(spec(receiverAt(URI.create("http://127.0.0.1:" + nobody.getPort()
                        + "/alerts"))))) {
            Calls.Outcome<Void> outcome = deliver(notifier);
            ContractViolation.check(outcome.failed(), ContractRule.UNDELIVERED_IS_AN_ERROR,
                    "a delivery to a port where nothing listens completed normally");
        }
    }

    @Test
    void aDeliveryTheReceiverRefusesFails() throws Exception {
        try (LoopbackHttpServer receiver = LoopbackHttpServer.start();
                NotifierFactory factory = factory();
                Notifier notifier = factory.create(spec(receiverAt(receiver.uri("/alerts"))))) {
            receiver.respondWith(503, "overloaded");
            Calls.Outcome<Void> outcome = deliver(notifier);
            ContractViolation.check(outcome.failed(), ContractRule.UNDELIVERED_IS_AN_ERROR,
                    "a delivery the receiver answered with 503 completed normally");
        }
    }

    @Test
    void aDeliveryToAReceiverThatNeverAnswersEnds() throws Exception {
        try (StalledServer stalled = StalledServer.start();
                NotifierFactory factory = factory();
                Notifier notifier = factory.create(spec(receiverAt(URI.create("http://127.0.0.1:" + stalled.port()
                        + "/alerts"))))) {
            Calls.Outcome<Void> outcome = deliver(notifier);
            ContractViolation.check(outcome.failed(), ContractRule.UNDELIVERED_IS_AN_ERROR,
                    "a delivery to a receiver that never answered completed normally");
        }
    }

    @Test
    void closeLeavesNoThreadOrProcess() throws Exception {
        Leaks leaks;
        try (LoopbackHttpServer receiver = LoopbackHttpServer.start()) {
            leaks = Leaks.take();
            deliverOnceAndClose(receiver);
        }
        List<String> remaining = leaks.remainingAfter(grace());
        ContractViolation.check(remaining.isEmpty(), ContractRule.CLOSE_RELEASES_EVERYTHING, "after a delivery and"
                + " close() of the notifier and of the factory, " + Calls.millis(grace()) + " later, still there: "
                + remaining);
    }

    /** In a method of its own, so that nothing of the notifier stays reachable from the test's frame. */
    private void deliverOnceAndClose(LoopbackHttpServer receiver) throws InterruptedException {
        NotifierFactory factory = factory();
        Notifier notifier = factory.create(spec(receiverAt(receiver.uri("/alerts"))));
        deliver(notifier);
        notifier.close();
        factory.close();
    }

    @Test
    void misconfigurationsNameTheirKeys() throws Exception {
        List<Misconfiguration<Settings>> mistakes = misconfigurations();
        Assumptions.assumeFalse(mistakes.isEmpty(), "misconfigurations() gives none");
        for (Misconfiguration<Settings> mistake : mistakes) {
            try (NotifierFactory factory = factory()) {
                Leaks leaks = Leaks.take();
                Notifier created;
                try {
                    created = factory.create(spec(mistake.input()));
                } catch (ConfigException e) {
                    HealthCheckerContract.requireKeyPath(e, mistake.keyPath());
                    created = null;
                } catch (RuntimeException e) {
                    throw new ContractViolation(ContractRule.BAD_SETTINGS_NAME_THEIR_KEY, "create() with a mistake at "
                            + mistake.keyPath() + " threw " + e + ", not a ConfigException", e);
                }
                if (created != null) {
                    created.close();
                    throw new ContractViolation(ContractRule.BAD_SETTINGS_NAME_THEIR_KEY,
                            "create() accepted the settings with a mistake at " + mistake.keyPath());
                }
                List<String> remaining = leaks.remainingAfter(grace());
                ContractViolation.check(remaining.isEmpty(), ContractRule.BAD_SETTINGS_NAME_THEIR_KEY,
                        "the refused create() (mistake at " + mistake.keyPath() + ") left behind: " + remaining);
            }
        }
    }

    /** {@return the alert the kit delivers: a firing critical one for service {@code contract}} */
    protected Alert alert() {
        return Alert.builder("ServiceDown", "contract").severity(Severity.CRITICAL)
                .summary("contract is down (a test of the notifier)").startsAt(Instant.now()).build();
    }

    private NotifierSpec spec(Settings settings) {
        return new NotifierSpec("contract", settings, calls.blockingExecutor());
    }

    private Calls.Outcome<Void> deliver(Notifier notifier) throws InterruptedException {
        Notification notification = Notification.of("contract-1", alert(), Instant.now());
        Calls.Timed<Void> timed = calls.time("deliver()", () -> notifier.deliver(notification),
                callerBudget().plus(grace()), ContractRule.UNDELIVERED_IS_AN_ERROR);
        ContractViolation.check(timed.callTook().compareTo(callerBudget()) <= 0, ContractRule.RETURNS_WITHOUT_BLOCKING,
                "deliver() took " + Calls.millis(timed.callTook()) + " to return its stage (the budget is "
                        + Calls.millis(callerBudget()) + ")");
        return Calls.await("deliver()", timed.stage(), deliveryLimit());
    }
}
