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
import io.aegis.testkit.internal.FreshClasses;
import io.aegis.testkit.internal.Leaks;
import io.aegis.testkit.internal.Rules;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.Supplier;
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

    /**
     * {@return how long {@code deliver()} may take to return its stage once the factory has delivered once; by default
     * 500 ms}
     */
    protected Duration callerBudget() {
        return Duration.ofMillis(500);
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
            Rules.requireName(factory, "type()", factory.type());
        }
    }

    @Test
    void factoryIsRegisteredForServiceLoader() {
        try (NotifierFactory factory = factory()) {
            Rules.requireRegistered(NotifierFactory.class, factory);
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
            for (int status : new int[] {503, 500, 429, 404}) {
                receiver.respondWith(status, "refused by the test");
                Calls.Outcome<Void> outcome = deliver(notifier);
                ContractViolation.check(outcome.failed(), ContractRule.UNDELIVERED_IS_AN_ERROR,
                        "a delivery the receiver answered with " + status + " completed normally");
            }
        }
    }

    @Test
    void aDeliveryToAReceiverThatNeverAnswersEndsAndDoesNotBlock() throws Exception {
        try (LoopbackHttpServer receiver = LoopbackHttpServer.start();
                StalledServer stalled = StalledServer.start();
                NotifierFactory factory = factory();
                Notifier warm = factory.create(spec(receiverAt(receiver.uri("/alerts"))));
                Notifier notifier = factory.create(spec(receiverAt(URI.create("http://127.0.0.1:" + stalled.port()
                        + "/alerts"))))) {
            deliver(warm); // the factory's first delivery loads classes and opens clients: not what is timed
            Calls.Outcome<Void> outcome = deliver(notifier, true);
            ContractViolation.check(outcome.failed(), ContractRule.UNDELIVERED_IS_AN_ERROR,
                    "a delivery to a receiver that never answered completed normally");
        }
    }

    @Test
    void closeLeavesNoThreadOrProcess() throws Exception {
        FreshClasses.checkTwice(this::factory, NotifierFactory.class, this::requireNothingLeftAfterClose);
    }

    private void requireNothingLeftAfterClose(Supplier<NotifierFactory> factories, String how) throws Exception {
        Leaks leaks;
        try (LoopbackHttpServer receiver = LoopbackHttpServer.start()) {
            leaks = Leaks.take();
            deliverOnceAndClose(factories, receiver);
        }
        List<String> remaining = leaks.remainingAfter(grace());
        ContractViolation.check(remaining.isEmpty(), ContractRule.CLOSE_RELEASES_EVERYTHING, "after a delivery and"
                + " close() of the notifier and of the factory" + how + ", " + Calls.millis(grace()) + " later, still"
                + " there: " + remaining);
    }

    /** In a method of its own, so that nothing of the notifier stays reachable from the test's frame. */
    private void deliverOnceAndClose(Supplier<NotifierFactory> factories, LoopbackHttpServer receiver)
            throws InterruptedException {
        NotifierFactory factory = factories.get();
        Notifier notifier = factory.create(spec(receiverAt(receiver.uri("/alerts"))));
        deliver(notifier);
        calls.close("close() of the notifier", notifier, grace());
        calls.close("close() of the factory", factory, grace());
    }

    @Test
    void misconfigurationsNameTheirKeys() throws Exception {
        List<Misconfiguration<Settings>> mistakes = misconfigurations();
        Assumptions.assumeFalse(mistakes.isEmpty(), "misconfigurations() gives none");
        Rules.requireRefusals(mistakes, this::factory, (factory, input) -> factory.create(spec(input)), grace());
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
        return deliver(notifier, false);
    }

    /** One delivery; {@code timed}: its return is held to {@link #callerBudget()}. */
    private Calls.Outcome<Void> deliver(Notifier notifier, boolean timed) throws InterruptedException {
        Notification notification = Notification.of("contract-1", alert(), Instant.now());
        Calls.Timed<Void> returned = calls.time("deliver()", () -> notifier.deliver(notification),
                callerBudget().plus(grace()), ContractRule.UNDELIVERED_IS_AN_ERROR);
        if (timed) {
            returned.requireWithin(callerBudget(), "deliver() to a receiver that never answers", "");
        }
        return Calls.await("deliver()", returned.stage(), deliveryLimit());
    }
}
